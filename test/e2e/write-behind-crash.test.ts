import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startFixture, waitForLine } from './fixtures/fixture-process.js';
import { journalStream, openDatabase } from './fixtures/write-behind-kv-repo.js';

const KEYS = 1_000;
const WRITES = 10_000;

describe('@WriteBehind durable: a process killed in the middle of a flush loses nothing', () => {
  let dir: string;
  let redis: Redis;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cachekit-wb-crash-'));
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterAll(() => {
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('10,000 durable writes over 1,000 keys, SIGKILL mid-flush: a second process replays the journal and every row holds its last written value', async () => {
    const dbPath = join(dir, 'kv.sqlite');
    const prefix = `crash-${randomBytes(4).toString('hex')}`;

    // process 1: every write accepted (journaled), then killed inside the third batch transaction
    const writer = startFixture('write-behind-writer.ts', [dbPath, process.env.REDIS_URL!, prefix]);
    const accepted = await waitForLine(writer, 'accepted', 60_000);
    const midflush = await waitForLine(writer, 'midflush', 60_000);
    writer.child.kill('SIGKILL');
    expect(await writer.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    expect(accepted).toBe(`accepted ${WRITES}`);
    const committedKeys = Number(midflush.split(' ')[1]);

    // what the database holds after the crash: the committed batches only (the open transaction rolled back)
    const before = openDatabase(dbPath, true);
    const rowsBefore = before.all('SELECT k, v FROM kv') as Array<{ k: string; v: number }>;
    before.close();
    expect(rowsBefore.length).toBe(committedKeys);
    const finalBefore = rowsBefore.filter((r) => r.v === WRITES - KEYS + Number(r.k.slice(4))).length;
    const unacknowledged = await redis.xlen(journalStream(prefix));
    expect(finalBefore).toBeLessThan(KEYS);
    expect(unacknowledged).toBeGreaterThanOrEqual(KEYS - finalBefore);

    // process 2: same class, claims the idle journal entries, replays them, exits on its own
    const recoverer = startFixture('write-behind-recoverer.ts', [dbPath, process.env.REDIS_URL!, prefix]);
    const recovered = await waitForLine(recoverer, 'recovered', 60_000);
    expect(await recoverer.exited).toMatchObject({ code: 0, signal: null });
    const [, claimed] = recovered.split(' ').map(Number);
    expect(claimed).toBeGreaterThanOrEqual(KEYS - finalBefore);

    // every key holds its last written value: key-k was last written with 9,000 + k
    const after = openDatabase(dbPath);
    const rows = after.all('SELECT k, v FROM kv ORDER BY k') as Array<{ k: string; v: number }>;
    after.close();
    const expected = Array.from({ length: KEYS }, (_, k) => ({ k: `key-${k}`, v: WRITES - KEYS + k })).sort((a, b) => (a.k < b.k ? -1 : 1));
    expect(rows).toEqual(expected);
    expect(await redis.xlen(journalStream(prefix))).toBe(0);
    expect(((await redis.xpending(journalStream(prefix), 'cachekit')) as [number])[0]).toBe(0);
  }, 120_000);
});
