/**
 * Outside acceptance: TieredStore and oversized values through write-behind (README TieredStore,
 * maxValueBytes rows; issue 11), with this file's own redis-server, paused to hold an L2 read in flight.
 */
import { Redis } from 'ioredis';
import { errors, Cacheable, Invalidate, WriteBehind, WriteThrough, configureCache, ManualScheduler, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type DeadLetter } from 'cachekit';
import { startServer, type TestRedisServer } from '../e2e/fixtures/redis-servers.js';
import { until } from '../helpers/waiting.js';

jest.setTimeout(90_000);

let server: TestRedisServer;
let url: string;
let redis: Redis;
let runtime: CacheRuntime | undefined;
beforeAll(() => {
  server = startServer();
  url = `redis://127.0.0.1:${server.port}`;
  redis = new Redis(url);
});
afterEach(async () => {
  server.resume();
  await runtime?.close();
  runtime = undefined;
});
afterAll(() => {
  redis.disconnect();
  server.kill();
});
const fresh = () => `acc-t-${Math.random().toString(36).slice(2)}`;

it('TieredStore: an L2 read in flight while a write-through of its key resolves does not refill L1 with the older entry', async () => {
  const l2 = new RedisStore({ connection: url, timeoutMs: 5_000 });
  runtime = configureCache({ store: new TieredStore({ l1: new MemoryStore({ maxEntries: 1 }), l2 }), prefix: fresh() });
  let row = 'v1';
  class Repo {
    @Cacheable({ namespace: 'r', key: (k: string) => k })
    async get(k: string): Promise<string> {
      return k === 'k' ? row : `other ${k}`;
    }
    @WriteThrough({ namespace: 'r', key: (k: string) => k })
    async set(k: string, v: string): Promise<string> {
      void k;
      row = v;
      return v;
    }
  }
  const r = new Repo();
  expect(await r.get('k')).toBe('v1');
  expect(await r.get('o')).toBe('other o'); // L1 holds one entry: k's copy leaves L1, stays in L2
  server.pause();
  const slow = r.get('k'); // L1 miss: the L2 read waits on the paused server
  const write = r.set('k', 'v2');
  await until(() => l2.pendingOperations >= 2, 'the read and the write wait on Redis');
  server.resume();
  expect(await slow).toBe('v1'); // it started before the write
  expect(await write).toBe('v2');
  expect(await r.get('k')).toBe('v2');
  expect(await r.get('k')).toBe('v2');
});

it('TieredStore: a value L2 refuses as too big (maxValueBytes) is not kept in L1 either', async () => {
  runtime = configureCache({
    store: new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url, maxValueBytes: 1024 }) }),
    prefix: fresh(),
    onError: () => undefined,
  });
  class Big {
    calls = 0;
    @Cacheable()
    async get(n: number): Promise<string> {
      this.calls++;
      return 'z'.repeat(n);
    }
  }
  const b = new Big();
  expect(await b.get(4000)).toBe('z'.repeat(4000));
  expect(await b.get(4000)).toBe('z'.repeat(4000));
  expect(b.calls).toBe(2);
});

it('RedisStore: a write-behind of a too-big value leaves no older value behind (a tombstone), before and after the flush', async () => {
  const scheduler = new ManualScheduler();
  runtime = configureCache({ store: new RedisStore({ connection: url, maxValueBytes: 1024 }), prefix: fresh(), onError: () => undefined });
  const db = new Map([['d', 'small']]);
  class Docs {
    @Cacheable({ namespace: 'doc', key: (k: string) => k })
    async get(k: string): Promise<string> {
      return db.get(k)!;
    }
    @WriteBehind({ namespace: 'doc', key: (k: string) => k, scheduler, batch: { size: 100, intervalMs: 60_000 } })
    async put(k: string, v: string): Promise<void> {
      db.set(k, v);
    }
  }
  const d = new Docs();
  expect(await d.get('d')).toBe('small');
  const big = 'q'.repeat(5000);
  await d.put('d', big);
  expect(await d.get('d')).toBe(big); // read-your-writes in this process
  await scheduler.runAll();
  await runtime.flush();
  expect(db.get('d')).toBe(big);
  expect(await d.get('d')).toBe(big);
});

it('durable write-behind: a database outage of 40 failed attempts loses nothing, dead-letters nothing; the journal ends acknowledged', async () => {
  const scheduler = new ManualScheduler();
  const prefix = fresh();
  runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
  const db = new Map<string, string>();
  const dead: DeadLetter[] = [];
  let failures = 0;
  let down = true;
  class Repo {
    @WriteBehind({ durable: true, key: (k: string) => k, scheduler, batch: { size: 100, intervalMs: 1000 }, deadLetter: (x: DeadLetter) => void dead.push(x) })
    async put(k: string, v: string): Promise<void> {
      if (down) {
        failures++;
        throw new Error('database down');
      }
      db.set(k, v);
    }
  }
  const r = new Repo();
  for (let i = 0; i < 12; i++) await r.put(`k${i % 4}`, `v${i}`);
  for (let step = 0; step < 2000 && failures < 40; step++) await scheduler.advance(1000);
  expect(failures).toBeGreaterThanOrEqual(40);
  expect(dead).toEqual([]);
  down = false;
  for (let step = 0; step < 200 && db.size < 4; step++) await scheduler.advance(30_000);
  await runtime.flush();
  expect(Object.fromEntries(db)).toEqual({ k0: 'v8', k1: 'v9', k2: 'v10', k3: 'v11' });
  expect(dead).toEqual([]);
  const pending = (await redis.xpending(`${prefix}#wb:{Repo.put}`, 'cachekit')) as [number, ...unknown[]];
  expect(pending[0]).toBe(0);
});

it.each(['RedisStore', 'TieredStore'])('%s: Redis killed and restarted on its port: calls fall back to the method (right values), then caching resumes by itself', async (kind) => {
  const own = startServer();
  const ownUrl = `redis://127.0.0.1:${own.port}`;
  let restarted: TestRedisServer | undefined;
  try {
    const l2 = new RedisStore({ connection: ownUrl, timeoutMs: 300 });
    runtime = configureCache({
      store: kind === 'RedisStore' ? l2 : new TieredStore({ l1: new MemoryStore(), l2 }),
      prefix: fresh(),
      onError: () => undefined,
    });
    let row = 1;
    class Repo {
      calls = 0;
      @Cacheable({ namespace: 'r', key: (k: string) => k })
      async get(k: string): Promise<string> {
        this.calls++;
        return `${k}=${row}`;
      }
      @WriteThrough({ namespace: 'r', key: (k: string) => k })
      async set(k: string, v: number): Promise<string> {
        row = v;
        return `${k}=${v}`;
      }
    }
    const r = new Repo();
    expect(await r.get('k')).toBe('k=1');
    expect(await r.get('k')).toBe('k=1');
    own.kill();
    for (let i = 0; i < 8; i++) expect(await r.get('k')).toBe('k=1');
    expect(await r.set('k', 2)).toBe('k=2'); // the database write happens; the cache is down
    expect(await r.get('k')).toBe('k=2');
    restarted = startServer([], own.port);
    await until(async () => {
      const before = r.calls;
      expect(await r.get('k')).toBe('k=2');
      return r.calls === before;
    }, 'caching resumed (a call was a hit)', 20_000, 100);
    expect(await r.set('k', 3)).toBe('k=3');
    expect(await r.get('k')).toBe('k=3');
  } finally {
    await runtime?.close();
    runtime = undefined;
    restarted?.kill();
    own.kill();
  }
});

it('100,001 invalidations that cannot reach a paused Redis: none is forgotten (folded), every key reads its new row once Redis is back', async () => {
  const store = new RedisStore({ connection: url, timeoutMs: 200, breaker: { failureThreshold: 5, cooldownMs: 60_000 } });
  runtime = configureCache({ store, prefix: fresh(), onError: () => undefined });
  const rows = new Map<string, string>();
  class Repo {
    @Cacheable({ namespace: 'many', key: (k: string) => k })
    async get(k: string): Promise<string> {
      return rows.get(k) ?? 'old';
    }
    @Invalidate({ namespace: 'many', key: (k: string) => k })
    async change(k: string): Promise<void> {
      rows.set(k, 'new');
    }
  }
  const r = new Repo();
  const sample = ['k0', 'k50000', 'k100000'];
  for (const k of sample) expect(await r.get(k)).toBe('old');
  for (const k of sample) expect(await r.get(k)).toBe('old'); // cached in Redis
  server.pause();
  for (let i = 0; i <= 100_000; i++) await r.change(`k${i}`);
  server.resume();
  await until(async () => {
    for (const k of sample) if ((await r.get(k)) !== 'new') return false;
    return true;
  }, 'every changed key reads its new row', 20_000, 100);
  // and it stays so: the old entries never come back
  for (const k of sample) expect(await r.get(k)).toBe('new');
});

it.each([false, true])('@WriteThrough while Redis is paused (throwOnCacheError: %s): resolves (or rejects with CacheWriteError), the database write happened, and no older entry is served once Redis is back', async (throwOnCacheError) => {
  runtime = configureCache({ store: new RedisStore({ connection: url, timeoutMs: 200 }), prefix: fresh(), onError: () => undefined });
  let row = 'v1';
  class Repo {
    @Cacheable({ namespace: 'wt', key: (k: string) => k })
    async get(k: string): Promise<string> {
      void k;
      return row;
    }
    @WriteThrough({ namespace: 'wt', key: (k: string) => k, throwOnCacheError })
    async set(k: string, v: string): Promise<string> {
      void k;
      row = v;
      return v;
    }
  }
  const r = new Repo();
  expect(await r.get('k')).toBe('v1');
  server.pause();
  const outcome = await r.set('k', 'v2').then(
    (v) => v,
    (e: unknown) => e,
  );
  if (throwOnCacheError) {
    expect(outcome).toBeInstanceOf(errors.CacheWriteError);
    expect((outcome as { code: string }).code).toBe('E_CACHE_WRITE');
  } else expect(outcome).toBe('v2');
  expect(row).toBe('v2');
  server.resume();
  expect(await r.get('k')).toBe('v2');
  expect(await r.get('k')).toBe('v2');
});
