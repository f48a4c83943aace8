import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { MemoryStore, RedisStore, TieredStore, errors, type CacheStore } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { settledWithin, until } from '../helpers/waiting.js';

/**
 * G3 for the stores: while Redis is paused (SIGSTOP: the socket is open, nothing answers) or
 * down (killed), every RedisStore and TieredStore operation and close() settles within a
 * bound derived from `timeoutMs`, and a process exits on its own after close().
 *
 * The bounds checked are the documented ones with a generous allowance for a loaded machine
 * (an operation: 1.25 x timeoutMs plus lag; close(): 3 x timeoutMs plus lag); they catch an
 * operation that waits for Redis, not a slow one.
 */
const TIMEOUT_MS = 200;
const LAG_MS = 1_500;
const OPERATION_BOUND_MS = 1.25 * TIMEOUT_MS + LAG_MS;
const CLOSE_BOUND_MS = 3 * TIMEOUT_MS + LAG_MS;

describe('G3: store operations and close() settle while Redis is paused or down', () => {
  let server: TestRedisServer;
  beforeEach(() => {
    server = startServer();
  });
  afterEach(() => server.kill());

  const connection = () => ({ host: '127.0.0.1', port: server.port });
  const kinds: Record<string, () => Promise<CacheStore>> = {
    RedisStore: async () => new RedisStore({ connection: connection(), timeoutMs: TIMEOUT_MS }),
    TieredStore: async () => {
      const t = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: connection(), timeoutMs: TIMEOUT_MS }) });
      await until(() => t.l1Active, 'the bus is subscribed');
      return t;
    },
  };
  const operations: Array<[string, (s: CacheStore, k: string) => Promise<unknown>]> = [
    ['read', (s, k) => s.read(k, ['g3#n:ns'])],
    ['readVersions', (s) => s.readVersions(['g3#n:ns', 'g3#t:x'])],
    ['write', (s, k) => s.write(k, { v: 'v', g: 2 }, 60_000)],
    ['writeIf', (s, k) => s.writeIf(k, { v: 'v', g: 3 }, 60_000, 1)],
    ['delete', (s, k) => s.delete([k])],
    ['bump', (s) => s.bump(['g3#n:ns'])],
    ['clear', (s) => s.clear()],
    ['acquireLock', (s, k) => s.acquireLock!(`${k}#l`, 1_000)],
    ['releaseLock', (s, k) => s.releaseLock!(`${k}#l`, 'token')],
  ];

  for (const [kind, create] of Object.entries(kinds)) {
    for (const fault of ['paused', 'down'] as const) {
      it(`${kind}: every operation, then close(), settles while Redis is ${fault}`, async () => {
        const store = await create();
        const reported: unknown[] = [];
        store.attach?.({ onError: (e) => reported.push(e), prefix: 'g3' });
        const key = `g3:ns:${randomBytes(3).toString('hex')}`;
        await store.write(key, { v: 'v', g: 1 }, 60_000);
        await store.read(key, ['g3#n:ns']);
        if (fault === 'paused') server.pause();
        else server.kill();
        try {
          for (const [name, op] of operations) {
            const outcome = op(store, key);
            outcome.catch(() => undefined);
            expect([name, await settledWithin(outcome, OPERATION_BOUND_MS)]).toEqual([name, expect.stringMatching(/^(resolved|rejected)$/)]);
            const error = await outcome.then(() => undefined, (e: unknown) => e);
            if (error !== undefined) expect(error).toBeInstanceOf(errors.StoreError);
          }
          // a write and a read in flight when close() starts settle too
          const inFlight = [store.write(key, { v: 'late', g: 4 }, 60_000), store.read(key, [])];
          for (const p of inFlight) p.catch(() => undefined);
          expect(await settledWithin(store.close(), CLOSE_BOUND_MS)).toBe('resolved');
          for (const p of inFlight) expect(await settledWithin(p, OPERATION_BOUND_MS)).not.toBe('pending');
        } finally {
          server.resume();
        }
      });
    }
  }

  for (const fault of ['paused', 'down'] as const) {
    it(`a process with a RedisStore and a TieredStore exits on its own after close() while Redis is ${fault}`, async () => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(__dirname, 'fixtures', 'store-close-worker.ts'), String(server.port), `g3${randomBytes(3).toString('hex')}`],
        { cwd: join(__dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await until(() => out.includes('ready\n'), 'the worker is ready', 20_000);
        if (fault === 'paused') server.pause();
        else server.kill();
        child.stdin!.write('close\n');
        // The worker neither calls process.exit() nor is signalled: it must end by itself.
        const code = await Promise.race([exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
        expect(code).toBe(0);
        const closed = /closed (.*)\n/.exec(out);
        expect(closed).not.toBeNull();
        const report = JSON.parse(closed![1]!) as { ms: number; during: string[] };
        expect(report.during).toEqual(['row k1', 'tiered k1']);
      } finally {
        server.resume();
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    }, 60_000);
  }
});
