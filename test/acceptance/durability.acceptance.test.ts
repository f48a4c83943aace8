/**
 * Outside acceptance: durable write-behind through SIGKILL and Redis pauses, prompt recovery and its
 * report, no stale value across two processes, nothing hangs, close() lets the process exit
 * (README "@WriteBehind", "Durable mode", "Failure behaviour"; issue 11). Application processes are
 * test/acceptance/workers/settings-worker.ts, written against 'cachekit' only. Own redis-server.
 */
import { Redis } from 'ioredis';
import { Cacheable, Invalidate, WriteBehind, configureCache, recoverWriteBehind, RedisStore, errors, type CacheRuntime } from 'cachekit';
import { startServer, type TestRedisServer } from '../e2e/fixtures/redis-servers.js';
import { startFixture, waitForLine, type FixtureRun } from '../e2e/fixtures/fixture-process.js';
import { until } from '../helpers/waiting.js';

const WORKER = '../../acceptance/workers/settings-worker.ts';
let server: TestRedisServer;
let url: string;
let redis: Redis;
const running: FixtureRun[] = [];

beforeAll(() => {
  server = startServer();
  url = `redis://127.0.0.1:${server.port}`;
  redis = new Redis(url);
});
afterAll(async () => {
  for (const run of running) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  redis.disconnect();
  server.kill();
});

function worker(mode: string, prefix: string, ...pairs: string[]): FixtureRun {
  const run = startFixture(WORKER, [mode, url, prefix, ...pairs]);
  running.push(run);
  return run;
}
const fresh = () => `acc-dur-${Math.random().toString(36).slice(2)}`;

jest.setTimeout(90_000);

describe('durable write-behind through SIGKILL', () => {
  it('a restarted process (same class, default options) replays every accepted write in its first claim pass, not after claimIdleMs (30 s); last write per key wins', async () => {
    const prefix = fresh();
    const writer = worker('write', prefix, 'a=1', 'b=2', 'a=3', 'c=4');
    await waitForLine(writer, 'accepted 4', 30_000);
    writer.child.kill('SIGKILL');
    await writer.exited;
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({});
    const restarted = worker('restart', prefix);
    await waitForLine(restarted, 'called', 30_000);
    // claimIdleMs is 30 s; the README promises the first pass at startup (pid gone): well before that
    await until(async () => (await redis.hget(`${prefix}:db`, 'c')) === '4', 'the crashed writes were replayed', 15_000);
    await until(async () => (await redis.hget(`${prefix}:db`, 'a')) === '3', 'a=3 was replayed', 5_000);
    restarted.child.kill('SIGUSR2');
    await waitForLine(restarted, 'closed', 30_000);
    expect((await restarted.exited).code).toBe(0);
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ a: '3', b: '2', c: '4', probe: '1' });
  });

  it("recoverWriteBehind(instance) at startup reports what it claimed and settled() resolves once the writes reached the method", async () => {
    const prefix = fresh();
    const writer = worker('write', prefix, 'x=1', 'y=2', 'x=3');
    await waitForLine(writer, 'accepted 3', 30_000);
    writer.child.kill('SIGKILL');
    await writer.exited;
    const recoverer = worker('recover', prefix);
    const first = JSON.parse((await waitForLine(recoverer, 'first ', 30_000)).slice('first '.length)) as Record<string, number>;
    const settled = JSON.parse((await waitForLine(recoverer, 'settled ', 30_000)).slice('settled '.length)) as Record<string, number>;
    expect((await recoverer.exited).code).toBe(0);
    // every claimed entry reached the method or was superseded by the newer write of its key
    // x=1 was acknowledged when x=3 replaced it (README: "or when a newer write of the key replaces it")
    expect(first.claimed).toBe(2);
    expect(settled.claimed).toBe(2);
    expect(settled.replayed).toBe(2);
    expect(settled.superseded).toBe(0);
    expect(settled.deadLettered).toBe(0);
    expect(settled.left).toBe(0);
    expect(settled.pending).toBe(0);
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ x: '3', y: '2' });
  });
});

describe('no stale value after a write, across two processes on RedisStore', () => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it('a write-behind write pending in process A, an @Invalidate and a read in process B meanwhile: after A flushes, B reads the new row', async () => {
    const prefix = fresh();
    await redis.hset(`${prefix}:db`, 'k', 'old');
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
    class Settings {
      loads = 0;
      @Cacheable({ namespace: 'settings', key: (k: string) => k })
      async get(k: string): Promise<string | null> {
        this.loads++;
        return redis.hget(`${prefix}:db`, k);
      }
      @Invalidate({ namespace: 'settings', key: (k: string) => k })
      async touch(k: string): Promise<void> {
        void k;
      }
    }
    const b = new Settings();
    expect(await b.get('k')).toBe('old');
    const a = worker('pending', prefix, 'k=new');
    await waitForLine(a, 'accepted 1', 30_000);
    // A's call resolved: B reads what is in the shared cache (A's queued value)
    expect(await b.get('k')).toBe('new');
    await b.touch('k');
    await b.get('k'); // the database still holds 'old' here; whatever this read returns, it must not stick
    a.child.kill('SIGUSR2');
    await waitForLine(a, 'flushed', 30_000);
    expect((await a.exited).code).toBe(0);
    expect(await redis.hget(`${prefix}:db`, 'k')).toBe('new');
    expect(await b.get('k')).toBe('new');
  });
});

describe('no stale value across two processes when the write-behind entry TTL is shorter than the batch interval', () => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it("process A's pending write (ttl 50 ms, interval 1 h); process B reads after the entry expired; after A flushes, B reads the new row", async () => {
    const prefix = fresh();
    await redis.hset(`${prefix}:db`, 'k', 'old');
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
    class Settings {
      @Cacheable({ namespace: 'settings', key: (k: string) => k })
      async get(k: string): Promise<string | null> {
        return redis.hget(`${prefix}:db`, k);
      }
    }
    const b = new Settings();
    process.env.ACC_SHORT_TTL = '1';
    const a = worker('pending', prefix, 'k=new');
    delete process.env.ACC_SHORT_TTL;
    await waitForLine(a, 'accepted 1', 30_000);
    // the entry A wrote lives 50 ms in Redis (unless cachekit keeps a queued write's entry longer)
    const pttl = await redis.pttl(`${prefix}:settings:k`);
    if (pttl >= 0 && pttl <= 1000) await until(async () => (await redis.exists(`${prefix}:settings:k`)) === 0, 'the short entry expired', 5_000, 10);
    await b.get('k'); // may load 'old' from the database: A has not flushed
    a.child.kill('SIGUSR2');
    await waitForLine(a, 'flushed', 30_000);
    expect((await a.exited).code).toBe(0);
    expect(await redis.hget(`${prefix}:db`, 'k')).toBe('new');
    expect(await b.get('k')).toBe('new');
  });
});

describe('nothing hangs while Redis is paused (SIGSTOP)', () => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    server.resume();
    await runtime.close();
  });

  it('a durable call rejects with StoreTimeoutError or CircuitOpenError; flush() and close() settle; a @Cacheable call falls back to its method', async () => {
    const prefix = fresh();
    const written: string[] = [];
    runtime = configureCache({ store: new RedisStore({ connection: url, timeoutMs: 300 }), prefix, onError: () => undefined });
    class Repo {
      reads = 0;
      @WriteBehind({ durable: true, key: (k: string) => k, batch: { size: 100, intervalMs: 60_000 } })
      async put(k: string, v: string): Promise<void> {
        written.push(`${k}=${v}`);
      }
      @Cacheable()
      async get(k: string): Promise<string> {
        this.reads++;
        return `db:${k}`;
      }
    }
    const repo = new Repo();
    await repo.put('before', '1'); // journaled while Redis answers
    expect(await repo.get('r')).toBe('db:r');
    server.pause();
    const error = await repo.put('during', '2').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error instanceof errors.StoreTimeoutError || error instanceof errors.CircuitOpenError).toBe(true);
    expect(await repo.get('r2')).toBe('db:r2');
    await runtime.flush();
    expect(written).toContain('before=1');
    server.resume();
  });

  it('a process whose Redis is paused when it calls close() settles close() and exits on its own', async () => {
    const prefix = fresh();
    const app = worker('pausedclose', prefix);
    await waitForLine(app, 'ready', 30_000);
    server.pause();
    try {
      app.child.kill('SIGUSR2');
      // the database (this process's memory) is up: the queued write reached it, close() settled
      expect(await waitForLine(app, 'closed ', 30_000)).toBe('closed ok v');
      const exit = await app.exited;
      expect(exit.code).toBe(0);
    } finally {
      server.resume();
    }
    runtime = configureCache({ prefix: fresh() });
  });
});

describe('planned shutdown and last-write-wins across processes', () => {
  let runtime: CacheRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('drainOnSignal: SIGTERM flushes the queued writes into the database, then the signal ends the process', async () => {
    const prefix = fresh();
    const app = worker('drain', prefix, 'a=1', 'b=2', 'a=3');
    await waitForLine(app, 'accepted 3', 30_000);
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({});
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ a: '3', b: '2' });
  });

  it("a crashed process's older durable write, replayed later, never overwrites a newer write another process made meanwhile", async () => {
    const prefix = fresh();
    const crashed = worker('write', prefix, 'k=v1-of-crashed');
    await waitForLine(crashed, 'accepted 1', 30_000);
    crashed.child.kill('SIGKILL');
    await crashed.exited;
    // this process (same class, namespace and method as the worker) writes k later
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix, onError: () => undefined });
    class Settings {
      @WriteBehind({ durable: true, namespace: 'settings', key: (k: string) => k, batch: { size: 10_000, intervalMs: 3_600_000 } })
      async put(k: string, v: string): Promise<void> {
        await redis.hset(`${prefix}:db`, k, v);
      }
    }
    const mine = new Settings();
    await mine.put('k', 'v2-newer');
    await runtime.flush();
    await (await recoverWriteBehind(mine)).settled();
    await runtime.flush();
    expect(await redis.hget(`${prefix}:db`, 'k')).toBe('v2-newer');
    await runtime.close();
    runtime = undefined;
    const later = worker('recover', prefix);
    await waitForLine(later, 'settled ', 30_000);
    expect((await later.exited).code).toBe(0);
    expect(await redis.hget(`${prefix}:db`, 'k')).toBe('v2-newer');
  });
});

describe('runtime replacement with durable writes queued (issue 12.5)', () => {
  it('configureCache() again: the replaced runtime durable writes reach their method; the journal ends acknowledged; close() of the new one resolves after', async () => {
    const prefix = fresh();
    const written: string[] = [];
    configureCache({ store: new RedisStore({ connection: url }), prefix });
    class Ledger {
      @WriteBehind({ durable: true, key: (k: string) => k, batch: { size: 1000, intervalMs: 3_600_000 } })
      async put(k: string, v: string): Promise<void> {
        written.push(`${k}=${v}`);
      }
    }
    const l = new Ledger();
    await l.put('a', '1');
    await l.put('b', '2');
    const next = configureCache({ store: new RedisStore({ connection: url }), prefix });
    await next.close();
    expect(written.sort()).toEqual(['a=1', 'b=2']);
    const pending = (await redis.xpending(`${prefix}#wb:{Ledger.put}`, 'cachekit')) as [number, ...unknown[]];
    expect(pending[0]).toBe(0);
  });

  it('recoverWriteBehind with nothing to recover: claimed 0, settled() resolves', async () => {
    const prefix = fresh();
    const runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
    class Quiet {
      @WriteBehind({ durable: true, key: (k: string) => k })
      async put(k: string, v: string): Promise<void> {
        void k;
        void v;
      }
    }
    const report = await recoverWriteBehind(new Quiet());
    expect(report.claimed).toBe(0);
    const done = await report.settled();
    expect(done.claimed).toBe(0);
    expect(done.pending).toBe(0);
    await runtime.close();
  });
});

describe('SIGKILL mid-flush', () => {
  it('a writer killed while its method runs (nothing committed): a restarted process replays the write (at least once, nothing lost)', async () => {
    const prefix = fresh();
    const writer = worker('midflush', prefix, 'm=1', 'n=2');
    await waitForLine(writer, 'accepted 2', 30_000);
    await waitForLine(writer, 'in-method ', 30_000);
    writer.child.kill('SIGKILL');
    await writer.exited;
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({});
    const recoverer = worker('recover', prefix);
    const settled = JSON.parse((await waitForLine(recoverer, 'settled ', 30_000)).slice('settled '.length)) as Record<string, number>;
    expect((await recoverer.exited).code).toBe(0);
    expect(settled.claimed).toBe(2);
    expect(settled.pending).toBe(0);
    expect(await redis.hgetall(`${prefix}:db`)).toEqual({ m: '1', n: '2' });
  });
});
