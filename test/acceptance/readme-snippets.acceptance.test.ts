/**
 * Outside acceptance: the documentation's code, as written (a `db` stub standing in for the user's
 * database): the README's first screen, the `addViews` snippet of docs/decorators/write-behind.md,
 * plus the runtime handle's members the table of docs/configuration.md lists.
 */
import { Cacheable, Invalidate, WriteBehind, CacheDefaults, WriteThrough, configureCache, getCacheRuntime, MemoryStore, RedisStore, TieredStore, errors, type CacheRuntime } from 'cachekit';

type Product = { id: string; name: string };
const rows = new Map<string, Product>();
const queries: string[] = [];
const db = {
  products: {
    async find(id: string) {
      queries.push(`find ${id}`);
      return rows.get(id) ?? null;
    },
    async delete(id: string) {
      queries.push(`delete ${id}`);
      rows.delete(id);
    },
  },
};

let runtime: CacheRuntime;
afterEach(async () => {
  await runtime.close();
  queries.length = 0;
});

it('the first screen: getProduct runs on a miss only, deleteProduct makes the next read reload', async () => {
  runtime = configureCache({ store: new MemoryStore({ maxEntries: 10_000 }), ttl: '5m' });
  expect(getCacheRuntime()).toBe(runtime);

  class ProductService {
    @Cacheable({ namespace: 'product', key: (id: string) => id })
    async getProduct(id: string) { return db.products.find(id); }        // runs on a miss only

    @Invalidate({ namespace: 'product', key: (id: string) => id })
    async deleteProduct(id: string) { await db.products.delete(id); }    // next read reloads
  }

  rows.set('p1', { id: 'p1', name: 'Lamp' });
  const svc = new ProductService();
  expect(await svc.getProduct('p1')).toEqual({ id: 'p1', name: 'Lamp' });
  expect(await svc.getProduct('p1')).toEqual({ id: 'p1', name: 'Lamp' });
  expect(queries).toEqual(['find p1']);
  await svc.deleteProduct('p1');
  expect(await svc.getProduct('p1')).toBeNull();
  expect(await svc.getProduct('p1')).toBeNull(); // cacheNull defaults to true: a hit
  expect(queries).toEqual(['find p1', 'delete p1', 'find p1']);
  const stats = runtime.stats();
  expect(stats.hits).toBe(2);
  expect(stats.misses).toBe(2);
  expect(stats.invalidations).toBe(1);
  expect(stats.hitRate).toBe(0.5);
  expect(stats.methods['ProductService.getProduct']?.hits).toBe(2);
});

it('the @WriteBehind addViews snippet: merged n reaches the method once per key after flush()', async () => {
  runtime = configureCache({ store: new MemoryStore() });
  const updates: [string, number][] = [];
  class Views {
    @WriteBehind({ namespace: 'views', key: (id: string) => id, value: (_id: string, n: number) => n,
                   merge: (a: number, b: number) => a + b, batch: { size: 100, intervalMs: 1000 } })
    async addViews(id: string, n: number): Promise<void> { updates.push([id, n]); /* UPDATE ... (runs later, with the merged n) */ }
  }
  const v = new Views();
  const flushes: unknown[] = [];
  const off = runtime.on('flush', (e: unknown) => flushes.push(e));
  await v.addViews('a', 1);
  await v.addViews('a', 2);
  await v.addViews('b', 5);
  await v.addViews('a', 4);
  expect(updates).toEqual([]);
  await runtime.flush();
  expect(updates.sort()).toEqual([
    ['a', 7],
    ['b', 5],
  ]);
  const stats = runtime.stats();
  expect(stats.queued).toBe(4);
  expect(stats.flushed).toBe(4); // coalesced calls count each (docs/decorators/write-behind.md, Stats and events)
  expect(flushes.length).toBeGreaterThan(0);
  off();
});

it('the DESIGN contract class: @CacheDefaults namespace shared by read, write-through, invalidate and reimport', async () => {
  const products = new Map<string, Product>([['p1', { id: 'p1', name: 'Lamp' }]]);
  let reads = 0;
  runtime = configureCache({
    store: new MemoryStore({ maxEntries: 10_000, policy: 'lru' }),
    stores: {
      shared: new RedisStore({ connection: process.env.REDIS_URL! }),
      tiered: new TieredStore({ l1: new MemoryStore({ maxEntries: 1_000 }), l2: new RedisStore({ connection: process.env.REDIS_URL! }) }),
    },
    prefix: `shop-${Math.random().toString(36).slice(2)}`,
    ttl: '5m',
  });

  @CacheDefaults({ namespace: 'product', ttl: '10m' })
  class ProductService {
    @Cacheable({ key: (id: string) => id })
    async getProduct(id: string): Promise<Product | null> { reads++; return products.get(id) ?? null; }

    @WriteThrough({ key: (id: string) => id })
    async updateProduct(id: string, patch: Partial<Product>): Promise<Product> {
      const next = { ...products.get(id)!, ...patch };
      products.set(id, next);
      return next;
    }

    @Invalidate({ key: (id: string) => id })
    async deleteProduct(id: string): Promise<void> { products.delete(id); }

    @Invalidate({ allEntries: true, when: 'before' })
    async reimportCatalog(): Promise<void> { products.set('p1', { id: 'p1', name: 'Reimported' }); }
  }
  const svc = new ProductService();
  expect(await svc.getProduct('p1')).toEqual({ id: 'p1', name: 'Lamp' });
  expect(await svc.updateProduct('p1', { name: 'Desk lamp' })).toEqual({ id: 'p1', name: 'Desk lamp' });
  expect(await svc.getProduct('p1')).toEqual({ id: 'p1', name: 'Desk lamp' });
  expect(reads).toBe(1);
  await svc.reimportCatalog();
  expect(await svc.getProduct('p1')).toEqual({ id: 'p1', name: 'Reimported' });
  expect(reads).toBe(2);
  await svc.deleteProduct('p1');
  expect(await svc.getProduct('p1')).toBeNull();
  expect(reads).toBe(3);
  // runtime.invalidate from code does what @Invalidate does
  products.set('p2', { id: 'p2', name: 'Chair' });
  expect(await svc.getProduct('p2')).toEqual({ id: 'p2', name: 'Chair' });
  products.set('p2', { id: 'p2', name: 'Armchair' });
  await runtime.invalidate({ namespace: 'product', keys: ['p2'] });
  expect(await svc.getProduct('p2')).toEqual({ id: 'p2', name: 'Armchair' });
});

it('an unknown named store: UnknownStoreError', async () => {
  runtime = configureCache({ store: new MemoryStore() });
  class S {
    @Cacheable({ store: 'nope' })
    async get(id: string): Promise<string> {
      return id;
    }
  }
  const result = await new S().get('a').then(
    (v) => ({ v }),
    (e: unknown) => ({ e }),
  );
  // docs/observability.md errors table: `store: 'name'` that configureCache did not register
  expect('e' in result ? result.e : undefined).toBeInstanceOf(errors.UnknownStoreError);
});

it('a write-behind call after runtime.close() rejects with RuntimeClosedError', async () => {
  runtime = configureCache({ store: new MemoryStore() });
  class W {
    @WriteBehind({ key: (k: string) => k })
    async put(k: string, v: number): Promise<void> {
      void k;
      void v;
    }
  }
  const w = new W();
  await w.put('a', 1);
  await runtime.close();
  await expect(w.put('b', 2)).rejects.toBeInstanceOf(errors.RuntimeClosedError);
});

it('stats().evictions and the evict event count entries evicted for room; on() returns an unsubscribe function', async () => {
  runtime = configureCache({ store: new MemoryStore({ maxEntries: 2 }) });
  const evicted: unknown[] = [];
  const hits: unknown[] = [];
  const offEvict = runtime.on('evict', (e: unknown) => evicted.push(e));
  const offHit = runtime.on('hit', (e: unknown) => hits.push(e));
  class S {
    @Cacheable()
    async get(id: string): Promise<string> {
      return id;
    }
  }
  const s = new S();
  await s.get('a');
  await s.get('b');
  await s.get('c');
  expect(runtime.stats().evictions).toBe(1);
  expect(evicted).toHaveLength(1);
  await s.get('c');
  expect(hits).toHaveLength(1);
  offHit();
  await s.get('c');
  expect(hits).toHaveLength(1);
  expect(runtime.stats().hits).toBe(2);
  offEvict();
});

