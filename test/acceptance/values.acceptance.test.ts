/**
 * Outside acceptance: what comes back from a hit (README Stores / serializer, issue 12.7) and the
 * @Cacheable options that decide what is stored (README @Cacheable table).
 */
import { Cacheable, CacheDefaults, Invalidate, WriteBehind, WriteThrough, configureCache, JsonSerializer, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore } from 'cachekit';

const url = process.env.REDIS_URL!;
const prefix = () => `acc-v-${Math.random().toString(36).slice(2)}`;
class Order {
  constructor(
    public id: string,
    public lines: Map<string, number>,
    public at: Date,
  ) {}
  count() {
    return [...this.lines.values()].reduce((a, b) => a + b, 0);
  }
}
const stores: [string, () => CacheStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['MemoryStore copyOnRead', () => new MemoryStore({ copyOnRead: true })],
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];

let runtime: CacheRuntime;
afterEach(async () => {
  await runtime.close();
});

describe.each(stores)('registered classes on %s', (_name, create) => {
  it('a hit returns an instance, with its Map and Date, and so does a read of a queued write-behind value', async () => {
    runtime = configureCache({ store: create(), prefix: prefix(), classes: [Order] });
    class Orders {
      calls = 0;
      @Cacheable({ namespace: 'o', key: (id: string) => id })
      async get(id: string): Promise<Order> {
        this.calls++;
        return new Order(id, new Map([['apple', 2]]), new Date(7));
      }
      @WriteBehind({ namespace: 'o', key: (id: string) => id, batch: { size: 100, intervalMs: 3_600_000 } })
      async save(id: string, order: Order): Promise<void> {
        void id;
        void order;
      }
    }
    const o = new Orders();
    await o.get('1');
    const hit = await o.get('1');
    expect(o.calls).toBe(1);
    expect(hit).toBeInstanceOf(Order);
    expect(hit.lines).toBeInstanceOf(Map);
    expect(hit.count()).toBe(2);
    expect(hit.at).toBeInstanceOf(Date);
    expect(hit.at.getTime()).toBe(7);
    await o.save('2', new Order('2', new Map([['pear', 5]]), new Date(9)));
    const queued = await o.get('2');
    expect(o.calls).toBe(1);
    expect(queued).toBeInstanceOf(Order);
    expect(queued.count()).toBe(5);
    expect(queued.at.getTime()).toBe(9);
  });
});

describe('registered classes on RedisStore with JsonSerializer (README: it keeps what JSON keeps)', () => {
  it('a hit returns an instance whose fields read as JSON reads them: a Map as a plain object, a Date as its ISO string', async () => {
    runtime = configureCache({ store: new RedisStore({ connection: url, serializer: new JsonSerializer() }), prefix: prefix(), classes: [Order] });
    class Orders {
      calls = 0;
      @Cacheable({ namespace: 'o', key: (id: string) => id })
      async get(id: string): Promise<Order> {
        this.calls++;
        return new Order(id, new Map([['apple', 2]]), new Date(7));
      }
    }
    const o = new Orders();
    await o.get('1');
    const hit = await o.get('1');
    expect(o.calls).toBe(1);
    expect(hit).toBeInstanceOf(Order);
    expect(hit.lines).toEqual({});
    expect(hit.at).toBe(new Date(7).toISOString());
  });
});

describe('what @Cacheable stores', () => {
  it('cacheNull: false stores neither null nor undefined; 0 is still a hit', async () => {
    runtime = configureCache({ store: new MemoryStore(), prefix: prefix() });
    const results: unknown[] = [null, undefined, 0];
    class S {
      calls = 0;
      @Cacheable({ cacheNull: false })
      async get(i: number): Promise<unknown> {
        this.calls++;
        return results[i];
      }
    }
    const s = new S();
    for (let round = 0; round < 2; round++) for (let i = 0; i < 3; i++) expect(await s.get(i)).toBe(results[i]);
    expect(s.calls).toBe(5); // null and undefined ran twice, 0 once
  });

  it('condition false bypasses the cache; unless true returns but does not store', async () => {
    runtime = configureCache({ store: new MemoryStore(), prefix: prefix() });
    class S {
      calls = 0;
      @Cacheable({ condition: (id: string) => id !== 'live', unless: (r: string) => r.startsWith('err') })
      async get(id: string): Promise<string> {
        this.calls++;
        return id === 'bad' ? `err ${this.calls}` : `${id} ${this.calls}`;
      }
    }
    const s = new S();
    expect(await s.get('live')).toBe('live 1');
    expect(await s.get('live')).toBe('live 2');
    expect(await s.get('bad')).toBe('err 3');
    expect(await s.get('bad')).toBe('err 4');
    expect(await s.get('ok')).toBe('ok 5');
    expect(await s.get('ok')).toBe('ok 5');
  });

  it('@CacheDefaults tags and resultTags: @Invalidate({ tags }) drops exactly the tagged entries', async () => {
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix: prefix() });
    @CacheDefaults({ namespace: 'p', tags: ['catalog'] })
    class Products {
      calls = 0;
      @Cacheable({ key: (id: string) => id, resultTags: (r: { brand: string }) => [`brand:${r.brand}`] })
      async get(id: string): Promise<{ id: string; brand: string; n: number }> {
        this.calls++;
        return { id, brand: id.startsWith('a') ? 'acme' : 'globex', n: this.calls };
      }
      @Invalidate({ tags: ['brand:acme'] })
      async dropAcme(): Promise<void> {}
      @Invalidate({ tags: ['catalog'] })
      async dropCatalog(): Promise<void> {}
    }
    const p = new Products();
    await p.get('a1');
    await p.get('g1');
    await p.dropAcme();
    expect((await p.get('a1')).n).toBe(3);
    expect((await p.get('g1')).n).toBe(2);
    await p.dropCatalog();
    expect((await p.get('a1')).n).toBe(4);
    expect((await p.get('g1')).n).toBe(5);
  });
});

describe('MemoryStore maxBytes and @Invalidate when', () => {
  it('a write-through value larger than maxBytes drops the older entry: the next read loads the new row', async () => {
    const reported: unknown[] = [];
    const store = new MemoryStore({ maxBytes: 1000 });
    runtime = configureCache({ store, prefix: prefix(), onError: (e: unknown) => reported.push(e) });
    let row = 'small';
    class Docs {
      loads = 0;
      @Cacheable({ namespace: 'd', key: (k: string) => k })
      async get(k: string): Promise<string> {
        void k;
        this.loads++;
        return row;
      }
      @WriteThrough({ namespace: 'd', key: (k: string) => k })
      async set(k: string, v: string): Promise<string> {
        void k;
        row = v;
        return v;
      }
    }
    const d = new Docs();
    expect(await d.get('x')).toBe('small');
    const big = 'b'.repeat(10_000);
    expect(await d.set('x', big)).toBe(big);
    expect(await d.get('x')).toBe(big);
    expect(await d.get('x')).toBe(big);
    expect(d.loads).toBe(3);
    expect(store.oversizedValues).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['after', false, true],
    ['before', true, true],
    ['always', true, true],
  ] as const)("when: '%s': a failing write invalidates: %s; a succeeding one: %s", async (when, onFailure, onSuccess) => {
    runtime = configureCache({ store: new MemoryStore(), prefix: prefix() });
    class Repo {
      loads = 0;
      @Cacheable({ namespace: 'w', key: (k: string) => k })
      async get(k: string): Promise<string> {
        this.loads++;
        return `${k}${this.loads}`;
      }
      @Invalidate({ namespace: 'w', key: (k: string) => k, when })
      async write(k: string, fail: boolean): Promise<void> {
        void k;
        if (fail) throw new Error('write failed');
      }
    }
    const r = new Repo();
    expect(await r.get('k')).toBe('k1');
    await expect(r.write('k', true)).rejects.toThrow('write failed');
    expect(await r.get('k')).toBe(onFailure ? 'k2' : 'k1');
    const before = r.loads;
    await r.write('k', false);
    expect(await r.get('k')).toBe(onSuccess ? `k${before + 1}` : `k${before}`);
  });
});
