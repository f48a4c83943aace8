/**
 * Outside acceptance: calling configureCache() again (README Configuration: "between tests, say"),
 * with the same store objects, and write-behind reads that outlive their TTL.
 */
import { Cacheable, WriteBehind, configureCache, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore } from 'cachekit';

const url = process.env.REDIS_URL!;
const stores: [string, () => CacheStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];
const prefix = () => `acc-rc-${Math.random().toString(36).slice(2)}`;

describe.each(stores)('configureCache() again with the same %s object', (_name, create) => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it('the store keeps working under the new runtime: misses are cached, hits served, nothing reported', async () => {
    const store = create();
    const reported: unknown[] = [];
    const p = prefix();
    configureCache({ store, prefix: p, ttl: '5m', onError: (e: unknown) => reported.push(e) });
    class S {
      calls = 0;
      @Cacheable()
      async get(id: string): Promise<string> {
        this.calls++;
        return `${id}${this.calls}`;
      }
    }
    const s = new S();
    expect(await s.get('a')).toBe('a1');
    runtime = configureCache({ store, prefix: p, ttl: '10m', onError: (e: unknown) => reported.push(e) });
    expect(await s.get('a')).toBe('a1');
    expect(await s.get('b')).toBe('b2');
    expect(await s.get('b')).toBe('b2');
    expect(s.calls).toBe(2);
    expect(reported).toEqual([]);
    expect(runtime.stats().hits).toBe(2);
  });
});

describe('write-behind: read-your-writes whatever the TTL (README @WriteBehind ttl row)', () => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it('while the write is queued, this process serves the queued value after the entry TTL passed (injected clock)', async () => {
    let now = 1_000_000;
    const clock = { now: () => now };
    runtime = configureCache({ store: new MemoryStore({ clock }), prefix: prefix() });
    const db = new Map([['k', 'old']]);
    class Repo {
      @Cacheable({ namespace: 'r', key: (k: string) => k, ttl: 1000 })
      async get(k: string): Promise<string> {
        return db.get(k)!;
      }
      @WriteBehind({ namespace: 'r', key: (k: string) => k, ttl: 1000, batch: { size: 100, intervalMs: 3_600_000 } })
      async put(k: string, v: string): Promise<void> {
        db.set(k, v);
      }
    }
    const r = new Repo();
    expect(await r.get('k')).toBe('old');
    await r.put('k', 'new');
    now += 60_000; // far past the 1 s TTL
    expect(await r.get('k')).toBe('new');
    await runtime.flush();
    expect(await r.get('k')).toBe('new');
  });

  it('valueArg 0 with merge: the method receives the merged value at argument 0; reads add the queued deltas', async () => {
    runtime = configureCache({ store: new MemoryStore(), prefix: prefix() });
    const db = new Map<string, number>([['p', 100]]);
    const calls: [number, string][] = [];
    class Views {
      @WriteBehind({ namespace: 'v', key: (_n: number, id: string) => id, valueArg: 0, merge: (a: number, b: number) => a + b, batch: { size: 100, intervalMs: 3_600_000 } })
      async add(n: number, id: string): Promise<void> {
        calls.push([n, id]);
        db.set(id, (db.get(id) ?? 0) + n);
      }
      @Cacheable({ namespace: 'v', key: (id: string) => id })
      async get(id: string): Promise<number> {
        return db.get(id) ?? 0;
      }
    }
    const v = new Views();
    await v.add(1, 'p');
    await v.add(2, 'p');
    expect(await v.get('p')).toBe(103);
    await runtime.flush();
    expect(calls).toEqual([[3, 'p']]);
    expect(await v.get('p')).toBe(103);
  });
});
