/**
 * Outside acceptance: faults (README "Failure behaviour", "Outage or poison", "Version counters survive
 * their own loss", "Eviction never revives an old row", "Distributed stampede protection", journal
 * names; issue 11), public API only, a real redis-server of this file's own for pauses.
 */
import { Redis } from 'ioredis';
import { errors, Cacheable, Invalidate, WriteBehind, WriteThrough, configureCache, ManualScheduler, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore, type DeadLetter } from 'cachekit';
import { startServer, type TestRedisServer } from '../e2e/fixtures/redis-servers.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

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
const fresh = () => `acc-f-${Math.random().toString(36).slice(2)}`;

async function keysMatching(pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

describe('journal names (README @WriteBehind journal.stream default)', () => {
  it("'<prefix>#wb:{Class.method}' by default, '<prefix>#wb:{<namespace>/Class.method}' with an explicit namespace", async () => {
    const prefix = fresh();
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
    class Journaled {
      @WriteBehind({ durable: true, key: (k: string) => k, batch: { size: 100, intervalMs: 60_000 } })
      async plain(k: string, v: number): Promise<void> {
        void k;
        void v;
      }
      @WriteBehind({ durable: true, namespace: 'ns', key: (k: string) => k, batch: { size: 100, intervalMs: 60_000 } })
      async spaced(k: string, v: number): Promise<void> {
        void k;
        void v;
      }
    }
    const j = new Journaled();
    await j.plain('a', 1);
    await j.spaced('a', 1);
    expect(await redis.type(`${prefix}#wb:{Journaled.plain}`)).toBe('stream');
    expect(await redis.type(`${prefix}#wb:{ns/Journaled.spaced}`)).toBe('stream');
    expect(await redis.xlen(`${prefix}#wb:{Journaled.plain}`)).toBe(1);
    await runtime.flush();
  });
});

describe('distributed lock keys (README: prefix#l:namespace:key, never an entry key)', () => {
  it("the lock of 'x' lives at prefix#l:namespace:x while the method runs, and the entry 'x#lock' is untouched", async () => {
    const prefix = fresh();
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix });
    const inside = new Gate();
    const release = new Gate();
    class Locked {
      calls: string[] = [];
      @Cacheable({ namespace: 'ns', key: (k: string) => k, distributedLock: true })
      async get(k: string): Promise<string> {
        this.calls.push(k);
        if (k === 'x') {
          inside.open();
          await release.opened;
        }
        return `value of ${k}`;
      }
    }
    const l = new Locked();
    expect(await l.get('x#lock')).toBe('value of x#lock');
    const pending = l.get('x');
    await inside.opened;
    expect(await redis.exists(`${prefix}#l:ns:x`)).toBe(1);
    expect(await l.get('x#lock')).toBe('value of x#lock');
    release.open();
    expect(await pending).toBe('value of x');
    expect(await l.get('x#lock')).toBe('value of x#lock');
    expect(await l.get('x')).toBe('value of x');
    expect(l.calls).toEqual(['x#lock', 'x']);
    expect(await redis.exists(`${prefix}#l:ns:x`)).toBe(0);
  });
});

const redisStores: [string, () => CacheStore][] = [
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['RedisStore trackVersions: false', () => new RedisStore({ connection: url, trackVersions: false })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];

describe.each(redisStores)('version counters that Redis loses (%s)', (_name, create) => {
  function catalog(rows: Map<string, string>) {
    class Catalog {
      @Cacheable({ namespace: 'cat', key: (k: string) => k, tags: ['all'] })
      async get(k: string): Promise<string> {
        return rows.get(k)!;
      }
      @Invalidate({ namespace: 'cat', allEntries: true })
      async reimport(): Promise<void> {}
      @Invalidate({ namespace: 'cat', tags: ['all'] })
      async dropTag(): Promise<void> {}
    }
    return new Catalog();
  }

  it.each([
    ['namespace', '#n:*'],
    ['tag', '#t:*'],
  ])('an invalidated %s whose counter is deleted does not bring its entries back', async (kind, pattern) => {
    const prefix = fresh();
    runtime = configureCache({ store: create(), prefix });
    const rows = new Map([
      ['k1', 'old1'],
      ['k2', 'old2'],
    ]);
    const c = catalog(rows);
    expect(await c.get('k1')).toBe('old1');
    expect(await c.get('k2')).toBe('old2');
    if (kind === 'namespace') await c.reimport();
    else await c.dropTag();
    rows.set('k1', 'new1');
    rows.set('k2', 'new2');
    const counters = await keysMatching(`${prefix}${pattern}`);
    expect(counters.length).toBeGreaterThan(0);
    await redis.del(...counters);
    expect(await c.get('k1')).toBe('new1');
    expect(await c.get('k2')).toBe('new2');
  });
});

describe('a @WriteBehind whose cache write fails (Redis paused at the call)', () => {
  it('does not leave the pre-write entry to be served after the flush', async () => {
    const prefix = fresh();
    const db = new Map([['k', 'old']]);
    const scheduler = new ManualScheduler();
    runtime = configureCache({ store: new RedisStore({ connection: url, timeoutMs: 200 }), prefix, onError: () => undefined });
    class Repo {
      @Cacheable({ namespace: 'r', key: (k: string) => k })
      async get(k: string): Promise<string> {
        return db.get(k)!;
      }
      @WriteBehind({ namespace: 'r', key: (k: string) => k, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async put(k: string, v: string): Promise<void> {
        db.set(k, v);
      }
    }
    const r = new Repo();
    expect(await r.get('k')).toBe('old');
    server.pause();
    await r.put('k', 'new'); // the cache write times out; the call is accepted (non-durable)
    server.resume();
    expect(await r.get('k')).toBe('new'); // read-your-writes
    await scheduler.runAll();
    await runtime.flush();
    expect(db.get('k')).toBe('new');
    expect(await r.get('k')).toBe('new');
    expect(await r.get('k')).toBe('new');
  });
});

describe('the database down for long (write-behind, outage vs poison)', () => {
  it('an outage of 50 failed attempts per key loses nothing, dead-letters nothing, and each key lands with its last value', async () => {
    const scheduler = new ManualScheduler();
    runtime = configureCache({ store: new MemoryStore(), prefix: fresh() });
    const db = new Map<string, number>();
    const dead: DeadLetter[] = [];
    let down = true;
    let failures = 0;
    class Repo {
      @WriteBehind({ key: (k: string) => k, scheduler, batch: { size: 100, intervalMs: 1000 }, deadLetter: (d: DeadLetter) => void dead.push(d) })
      async put(k: string, v: number): Promise<void> {
        if (down) {
          failures++;
          throw new Error('database down');
        }
        db.set(k, v);
      }
    }
    const r = new Repo();
    for (let i = 0; i < 30; i++) await r.put(`k${i % 3}`, i);
    for (let step = 0; step < 2000 && failures < 150; step++) await scheduler.advance(1000);
    expect(failures).toBeGreaterThanOrEqual(150);
    expect(dead).toEqual([]);
    down = false;
    for (let step = 0; step < 200 && db.size < 3; step++) await scheduler.advance(30_000);
    await runtime.flush();
    expect(Object.fromEntries(db)).toEqual({ k0: 27, k1: 28, k2: 29 });
    expect(dead).toEqual([]);
    expect(runtime.stats().deadLetters).toBe(0);
  });

  it('a poison write (fails alone while others succeed) is dead-lettered after retry.attempts, the others land', async () => {
    const scheduler = new ManualScheduler({ random: () => 0.5 });
    runtime = configureCache({ store: new MemoryStore(), prefix: fresh() });
    const db = new Map<string, number>();
    const dead: DeadLetter[] = [];
    class Repo {
      @WriteBehind({ key: (k: string) => k, scheduler, retry: { attempts: 3 }, batch: { size: 1, intervalMs: 10 }, deadLetter: (d: DeadLetter) => void dead.push(d) })
      async put(k: string, v: number): Promise<void> {
        if (k === 'bad') throw new Error('constraint violated');
        db.set(k, v);
      }
    }
    const r = new Repo();
    await r.put('bad', 0);
    for (let i = 1; i <= 20; i++) {
      await r.put(`good${i}`, i);
      await scheduler.advance(200);
    }
    for (let step = 0; step < 500 && dead.length === 0; step++) await scheduler.advance(1000);
    await runtime.flush();
    expect(dead).toHaveLength(1);
    expect(dead[0]!.args).toEqual(['bad', 0]);
    // a failure counts only when a good write started after the failure before it succeeded (README,
    // Outage or poison): 5 failed attempts in all, of which 3 counted (jitter fixed at 0.5)
    expect(dead[0]!.attempts).toBe(5);
    expect(db.size).toBe(20);
  });
});

describe.each([
  ['lru', 'lru'],
  ['lfu', 'lfu'],
  ['tinylfu', 'tinylfu'],
] as const)('MemoryStore eviction never revives an old row (%s)', (_n, policy) => {
  it('a slow miss that read "no entry" does not store its old row after the newer entry was evicted', async () => {
    runtime = configureCache({ store: new MemoryStore({ maxEntries: 4, policy }), prefix: fresh() });
    let row = 'old';
    const loaded = new Gate();
    const release = new Gate();
    class Repo {
      @Cacheable({ namespace: 'm', key: (k: string) => k })
      async get(k: string): Promise<string> {
        if (k !== 'k') return `filler ${k}`;
        const value = row;
        if (value === 'old') {
          loaded.open();
          await release.opened;
        }
        return value;
      }
      @WriteThrough({ namespace: 'm', key: (k: string) => k })
      async set(k: string, v: string): Promise<string> {
        void k;
        row = v;
        return v;
      }
    }
    const r = new Repo();
    const slow = r.get('k');
    await loaded.opened;
    await r.set('k', 'new');
    for (let i = 0; i < 50; i++) await r.get(`f${i}`); // churn evicts the newer entry
    release.open();
    expect(await slow).toBe('old');
    expect(await r.get('k')).toBe('new');
  });
});

describe('Redis down at the first durable call (nothing listens on the port)', () => {
  it('rejects with StoreTimeoutError or CircuitOpenError (a StoreError, never an ioredis error), and close() settles', async () => {
    const closed = startServer();
    const port = closed.port;
    closed.kill();
    runtime = configureCache({ store: new RedisStore({ connection: `redis://127.0.0.1:${port}`, timeoutMs: 300 }), prefix: fresh(), onError: () => undefined });
    const ran: string[] = [];
    class Repo {
      @WriteBehind({ durable: true, key: (k: string) => k })
      async put(k: string, v: string): Promise<void> {
        ran.push(`${k}=${v}`);
      }
      @Cacheable()
      async get(k: string): Promise<string> {
        return `db:${k}`;
      }
    }
    const r = new Repo();
    for (let i = 0; i < 3; i++) {
      const error = await r.put('k', String(i)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(errors.StoreError);
      expect((error as { code: string }).code).toMatch(/^E_(STORE_TIMEOUT|CIRCUIT_OPEN)$/);
    }
    expect(await r.get('a')).toBe('db:a');
    await runtime.close();
    runtime = undefined;
    expect(ran).toEqual([]);
  });
});

void until;

describe('key spaces never overlap (README Keys: escaped prefix and namespace; RedisStore clear() scope)', () => {
  it("namespace 'a:b' + key 'c' and namespace 'a' + key 'b:c' are two entries; long keys differing at the end too", async () => {
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix: fresh() });
    class Spaces {
      calls = 0;
      @Cacheable({ namespace: 'a:b', key: (k: string) => k })
      async one(k: string): Promise<string> {
        this.calls++;
        return `one ${k}`;
      }
      @Cacheable({ namespace: 'a', key: (k: string) => k })
      async two(k: string): Promise<string> {
        this.calls++;
        return `two ${k}`;
      }
    }
    const s = new Spaces();
    expect(await s.one('c')).toBe('one c');
    expect(await s.two('b:c')).toBe('two b:c');
    expect(await s.one('c')).toBe('one c');
    expect(await s.two('b:c')).toBe('two b:c');
    const long = 'x'.repeat(300);
    expect(await s.two(`${long}1`)).toBe(`two ${long}1`);
    expect(await s.two(`${long}2`)).toBe(`two ${long}2`);
    expect(await s.two(`${long}1`)).toBe(`two ${long}1`);
    expect(s.calls).toBe(4);
  });

  it("clear() removes this prefix's keys only: another prefix that starts with it and unrelated keys stay", async () => {
    const base = fresh();
    const store = new RedisStore({ connection: url });
    runtime = configureCache({ store, prefix: base });
    class C {
      @Cacheable({ namespace: 'n', key: (k: string) => k, tags: ['t'] })
      async get(k: string): Promise<string> {
        return k;
      }
      @Invalidate({ namespace: 'n', allEntries: true })
      async all(): Promise<void> {}
    }
    const c = new C();
    await c.get('a');
    await c.all();
    await c.get('b');
    await redis.set(`${base}2:n:a`, 'other app');
    await redis.set(`${base}x`, 'unrelated');
    await redis.set('unrelated-key', 'keep');
    expect((await keysMatching(`${base}[:#]*`)).length).toBeGreaterThan(0);
    await store.clear();
    expect(await keysMatching(`${base}[:#]*`)).toEqual([]);
    expect(await redis.get(`${base}2:n:a`)).toBe('other app');
    expect(await redis.get(`${base}x`)).toBe('unrelated');
    expect(await redis.get('unrelated-key')).toBe('keep');
  });
});
