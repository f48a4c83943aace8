import 'reflect-metadata';
import { Cacheable, Invalidate, configureCache, getCacheRuntime, MemoryStore, errors } from '../../src/index.js';

describe('@Cacheable (cache-aside)', () => {
  beforeEach(() => configureCache({ store: new MemoryStore({ maxEntries: 1000 }) }));

  it('runs the method on a miss and serves the stored result on a hit', async () => {
    class Products {
      calls = 0;
      @Cacheable({ key: (id: string) => id })
      async get(id: string) {
        this.calls++;
        return { id, name: `product ${id}` };
      }
    }
    const p = new Products();
    expect(await p.get('a')).toEqual({ id: 'a', name: 'product a' });
    expect(await p.get('a')).toEqual({ id: 'a', name: 'product a' });
    expect(p.calls).toBe(1);
    expect(await p.get('b')).toEqual({ id: 'b', name: 'product b' });
    expect(p.calls).toBe(2);
  });

  it.each([0, false, '', null])('treats a cached %p as a hit', async (value) => {
    let calls = 0;
    class Falsy {
      @Cacheable()
      async get() {
        calls++;
        return value;
      }
    }
    const f = new Falsy();
    expect(await f.get()).toBe(value);
    expect(await f.get()).toBe(value);
    expect(calls).toBe(1);
  });

  it('passes this, arguments and return value through and keeps the method name', async () => {
    class Svc {
      factor = 3;
      @Cacheable()
      async times(a: number, b: number) {
        return this.factor * a * b;
      }
    }
    const s = new Svc();
    expect(await s.times(2, 5)).toBe(30);
    expect(Svc.prototype.times.name).toBe('times');
    expect(Object.getOwnPropertyNames(Svc.prototype).sort()).toEqual(['constructor', 'times']);
  });

  it('does not store null results with cacheNull: false', async () => {
    let calls = 0;
    class Svc {
      @Cacheable({ cacheNull: false })
      async find() {
        calls++;
        return null;
      }
    }
    const s = new Svc();
    await s.find();
    await s.find();
    expect(calls).toBe(2);
  });

  it('runs concurrent misses of one key once and shares the result', async () => {
    let calls = 0;
    class Svc {
      @Cacheable({ key: (k: number) => k })
      async load(k: number) {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        return k * 2;
      }
    }
    const s = new Svc();
    const results = await Promise.all(Array.from({ length: 10_000 }, (_, i) => s.load(i % 100)));
    expect(results.slice(0, 3)).toEqual([0, 2, 4]);
    expect(results[9_999]).toBe(198);
    expect(calls).toBe(100);
    expect(getCacheRuntime().singleFlight.size).toBe(0);
  });

  it('gives every waiter the same error when the shared miss rejects, and stores nothing', async () => {
    let calls = 0;
    class Svc {
      @Cacheable()
      async load() {
        calls++;
        await new Promise((r) => setTimeout(r, 5));
        if (calls === 1) throw new Error('db down');
        return 'ok';
      }
    }
    const s = new Svc();
    const settled = await Promise.allSettled([s.load(), s.load(), s.load()]);
    expect(settled.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : r.value))).toEqual(['db down', 'db down', 'db down']);
    expect(await s.load()).toBe('ok');
    expect(calls).toBe(2);
  });

  it('rejects a bad option when the decorator is applied', () => {
    expect(() => Cacheable({ ttl: -5 })).toThrow(new TypeError("@Cacheable: ttl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got -5 (number)"));
    expect(() => Cacheable({ ttl: 'banana' as never })).toThrow("got 'banana'");
    expect(() => Cacheable({ key: 42 as never })).toThrow("@Cacheable: key must be a function of the arguments or a template string like 'user:{0}'; got 42 (number)");
    expect(() => Cacheable({ tll: 5 } as never)).toThrow("@Cacheable: unknown option 'tll'");
  });

  it('fails with KeyBuildError on a circular argument and does not run the method', async () => {
    let calls = 0;
    class Svc {
      @Cacheable()
      async load(_x: unknown) {
        calls++;
        return 1;
      }
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(new Svc().load(cyclic)).rejects.toBeInstanceOf(errors.KeyBuildError);
    expect(calls).toBe(0);
  });

  it('tags entries from the result, and drops them by those tags', async () => {
    const rows: Record<string, { id: string; brand: string; price: number }> = { p1: { id: 'p1', brand: 'acme', price: 1 }, p2: { id: 'p2', brand: 'zeta', price: 2 } };
    let reads = 0;
    class Catalog {
      @Cacheable({ key: (id: string) => id, resultTags: (row: { brand: string }) => [`brand:${row.brand}`] })
      async get(id: string) {
        reads++;
        return { ...rows[id]! };
      }
      @Invalidate({ tags: (brand: string) => [`brand:${brand}`] })
      async reprice(brand: string, price: number) {
        for (const row of Object.values(rows)) if (row.brand === brand) row.price = price;
      }
    }
    const c = new Catalog();
    await c.get('p1');
    await c.get('p2');
    await c.reprice('acme', 10);
    expect((await c.get('p1')).price).toBe(10);
    expect((await c.get('p2')).price).toBe(2);
    expect(reads).toBe(3);
  });

  it('skips the cache when condition is false and does not store results unless allows', async () => {
    let calls = 0;
    class Svc {
      @Cacheable({ condition: (id: number) => id > 0, unless: (r: number) => r > 100 })
      async get(id: number) {
        calls++;
        return id * 10;
      }
    }
    const s = new Svc();
    await s.get(-1);
    await s.get(-1);
    await s.get(20);
    await s.get(20);
    await s.get(1);
    await s.get(1);
    expect(calls).toBe(5);
    expect(getCacheRuntime().stats().methods['Svc.get']).toMatchObject({ bypasses: 2, hits: 1, misses: 3 });
  });
});
