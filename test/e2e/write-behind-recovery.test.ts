import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { freePort } from './fixtures/redis-servers.js';
import { startFixture, waitForLine } from './fixtures/fixture-process.js';

/** The journal of `Settings.put` in fixtures/durable-worker.ts (its class namespace is 'settings'). */
const streamOf = (prefix: string) => `${prefix}#wb:{settings/Settings.put}`;

/**
 * Durable write-behind across real processes (fixtures/durable-worker.ts, default journal
 * options: claimIdleMs 30 s): a SIGKILLed writer's journal is taken over at once by a restarted
 * process, older replays never overwrite newer writes of another process, and a process whose
 * Redis is down rejects its durable call with a StoreError and exits on its own after close().
 */
describe('@WriteBehind durable: recovery across processes', () => {
  let redis: Redis;
  let prefix: string;
  const url = () => process.env.REDIS_URL!;

  beforeAll(() => {
    redis = new Redis(url());
  });
  afterAll(() => redis.disconnect());
  beforeEach(() => {
    prefix = `rec-${randomBytes(4).toString('hex')}`;
  });

  /** Starts a writer that journals `pairs` and then hangs (nothing flushed); `kill()` SIGKILLs it. */
  async function writer(pairs: string[]): Promise<{ kill(): Promise<void> }> {
    const run = startFixture('durable-worker.ts', ['write', url(), prefix, ...pairs]);
    expect(await waitForLine(run, 'accepted', 60_000)).toBe(`accepted ${pairs.length}`);
    return {
      async kill() {
        run.child.kill('SIGKILL');
        expect(await run.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
      },
    };
  }

  async function killedWriter(pairs: string[]): Promise<void> {
    await (await writer(pairs)).kill();
  }

  async function recoverer(): Promise<{ first: Record<string, number>; done: Record<string, number> }> {
    const run = startFixture('durable-worker.ts', ['recover', url(), prefix]);
    const line = await waitForLine(run, 'recovered ', 60_000);
    expect(await run.exited).toMatchObject({ code: 0, signal: null });
    return JSON.parse(line.slice('recovered '.length)) as { first: Record<string, number>; done: Record<string, number> };
  }

  it('a restarted process (same class, default options) takes over a SIGKILLed writer\'s journal in its first claim pass, not after claimIdleMs, and every accepted write lands', async () => {
    const pairs = Array.from({ length: 50 }, (_, i) => `k${i}=v${i}`);
    await killedWriter(pairs);
    expect(await redis.hlen(`${prefix}:db`)).toBe(0);
    expect(((await redis.xpending(streamOf(prefix), 'cachekit')) as [number])[0]).toBe(50);

    const { first, done } = await recoverer();
    // the first pass (awaited by recoverWriteBehind at startup) claimed everything: the writer's
    // process is gone from this host, so its entries were not left to go idle for 30 s
    expect(first).toEqual({ claimed: 50, replayed: first.replayed, superseded: 0, deadLettered: 0, left: 0, pending: 50 - first.replayed });
    expect(done).toEqual({ claimed: 50, replayed: 50, superseded: 0, deadLettered: 0, left: 0, pending: 0 });
    expect(await redis.hgetall(`${prefix}:db`)).toEqual(Object.fromEntries(pairs.map((p) => p.split('='))));
    expect(await redis.xlen(streamOf(prefix))).toBe(0);
    expect(((await redis.xpending(streamOf(prefix), 'cachekit')) as [number])[0]).toBe(0);
  }, 120_000);

  it('A writes v1 and is SIGKILLed before its flush; C writes v2 and flushes; B replays A\'s journal: the database keeps v2', async () => {
    const a = await writer(['k=v1', 'other=a1']);
    // C, a live process next to A (A is alive: C does not take its entries), writes the key again and flushes
    const c = startFixture('durable-worker.ts', ['flush', url(), prefix, 'k=v2']);
    expect(await waitForLine(c, 'flushed', 60_000)).toBe('flushed 1');
    expect(await c.exited).toMatchObject({ code: 0, signal: null });
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ k: 'v2' });
    await a.kill();

    const { done } = await recoverer();
    // A's k=v1 is older (in the stream's global order) than C's accepted k=v2: dropped, not written
    expect(done).toEqual({ claimed: 2, replayed: 1, superseded: 1, deadLettered: 0, left: 0, pending: 0 });
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ k: 'v2', other: 'a1' });
    expect(await redis.xlen(streamOf(prefix))).toBe(0);
  }, 120_000);

  it('Redis down at the first durable call: the call rejects with StoreTimeoutError (not ioredis\'s own error), and the process exits on its own after close()', async () => {
    const nobody = `redis://127.0.0.1:${freePort()}`;
    const run = startFixture('durable-worker.ts', ['down', nobody, prefix]);
    expect(await waitForLine(run, 'rejected', 60_000)).toBe('rejected StoreTimeoutError E_STORE_TIMEOUT');
    expect(await run.exited).toMatchObject({ code: 0, signal: null });
  }, 120_000);
});
