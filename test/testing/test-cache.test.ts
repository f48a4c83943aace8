import { Cacheable, CacheableMany, Invalidate, WriteBehind, getCacheRuntime, MemoryStore } from 'cachekit';
import { createTestCache, disableCaching, type TestCache } from 'cachekit/testing';

class Products {
  loads = 0;
  fail = false;
  /** Set by a test to hold the next load until it says so. */
  hold: Promise<void> | undefined;

  @Cacheable({ namespace: 'product', key: (id: number) => String(id), ttl: 1_000 })
  async get(id: number): Promise<string> {
    this.loads++;
    return `product ${id} #${this.loads}`;
  }

  @Cacheable({ namespace: 'graced', key: (id: number) => String(id), ttl: 1_000, grace: 10_000, timeout: 50 })
  async graced(id: number): Promise<string> {
    this.loads++;
    if (this.hold) await this.hold;
    if (this.fail) throw new Error('database down');
    return `graced ${id} #${this.loads}`;
  }

  @Cacheable({ namespace: 'hot', key: (id: number) => String(id), ttl: 1_000, refreshAhead: 0.5 })
  async hot(id: number): Promise<string> {
    this.loads++;
    return `hot ${id} #${this.loads}`;
  }

  @Cacheable({ namespace: 'maybe', key: (id: number) => String(id), condition: (id: number) => id > 0 })
  async maybe(id: number): Promise<number> {
    this.loads++;
    return id;
  }

  @CacheableMany({ namespace: 'product', key: (id: number) => String(id) })
  async getMany(ids: number[]): Promise<string[]> {
    this.loads++;
    return ids.map((id) => `many ${id}`);
  }

  @Invalidate({ namespace: 'product', key: (id: number) => String(id) })
  async remove(_id: number): Promise<void> {}
}

class Views {
  readonly rows: Array<[string, number]> = [];

  @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { intervalMs: 1_000 } })
  async save(id: string, n: number): Promise<void> {
    this.rows.push([id, n]);
  }
}

describe('createTestCache', () => {
  let cache: TestCache;
  let products: Products;
  beforeEach(() => {
    cache = createTestCache();
    products = new Products();
  });
  afterEach(() => cache.close());

  it('configures the runtime decorated methods use, on a clock starting at the time given', async () => {
    expect(getCacheRuntime()).toBe(cache.runtime);
    expect(cache.now()).toBe(0);
    const later = createTestCache({ now: 5_000 });
    expect(later.now()).toBe(5_000);
    expect(getCacheRuntime()).toBe(later.runtime);
    await later.close();
  });

  it('says what each call did, and the TTL follows the fake clock (MemoryStore on the same clock)', async () => {
    expect(await cache.outcomeOf(() => products.get(1))).toBe('miss');
    expect(await cache.outcomeOf(() => products.get(1))).toBe('hit');
    await cache.advance(999);
    expect(await cache.outcomeOf(() => products.get(1))).toBe('hit');
    await cache.advance(1);
    expect(await cache.observe(() => products.get(1))).toEqual({ value: 'product 1 #2', outcome: 'miss', method: 'Products.get', key: 'cachekit:product:1' });
    expect(products.loads).toBe(2);
    expect(cache.stats().methods['Products.get']).toMatchObject({ hits: 2, misses: 2 });
  });

  it('records the reads, writes and invalidations the runtime made', async () => {
    await products.get(1);
    await products.get(1);
    await products.remove(1);
    expect(cache.store.operations).toEqual([
      { kind: 'read', key: 'cachekit:product:1', found: false },
      { kind: 'write', key: 'cachekit:product:1', value: 'product 1 #1', ttlMs: 1_000, conditional: true, stored: true },
      { kind: 'read', key: 'cachekit:product:1', found: true },
      { kind: 'invalidate', how: 'tombstone', keys: ['cachekit:product:1'] },
    ]);
    expect(cache.store.writes.map((w) => w.key)).toEqual(['cachekit:product:1']);
    await cache.runtime.invalidate({ namespace: 'product', allEntries: true });
    expect(cache.store.invalidations.at(-1)).toEqual({ kind: 'invalidate', how: 'bump', keys: ['cachekit#n:product'] });
    cache.store.reset();
    expect(cache.store.operations).toEqual([]);
  });

  it('serves a stale value within grace when the reload fails: stale', async () => {
    expect(await cache.outcomeOf(() => products.graced(1))).toBe('miss');
    await cache.advance(1_000);
    products.fail = true;
    expect(await cache.observe(() => products.graced(1))).toMatchObject({ value: 'graced 1 #1', outcome: 'stale' });
    // graceBackoff (5 s by default): served stale without calling the method
    expect(await cache.outcomeOf(() => products.graced(1))).toBe('stale');
    expect(products.loads).toBe(2);
  });

  it('runs a loader deadline on the fake clock: the call is stale once advance() passes its timeout', async () => {
    await products.graced(1);
    await cache.advance(1_000);
    let release!: () => void;
    products.hold = new Promise<void>((resolve) => (release = resolve));
    const outcome = cache.outcomeOf(() => products.graced(1));
    await cache.advance(50);
    expect(await outcome).toBe('stale');
    release();
    products.hold = undefined;
    await cache.advance(0); // the late load stores its value under its lease
    expect(await cache.observe(() => products.graced(1))).toMatchObject({ value: 'graced 1 #2', outcome: 'hit' });
  });

  it('runs refresh-ahead on the fake clock: a hit past the fraction starts one background reload', async () => {
    await products.hot(1);
    await cache.advance(600);
    expect(await cache.observe(() => products.hot(1))).toMatchObject({ value: 'hot 1 #1', outcome: 'hit' });
    await cache.advance(0);
    expect(cache.stats().refreshes).toBe(1);
    expect(await cache.observe(() => products.hot(1))).toMatchObject({ value: 'hot 1 #2', outcome: 'hit' });
  });

  it('flushes @WriteBehind (no scheduler of its own) on the fake clock, or at once with flushNow()', async () => {
    const views = new Views();
    await views.save('a', 1);
    await cache.advance(999);
    expect(views.rows).toEqual([]);
    await cache.advance(1);
    expect(views.rows).toEqual([['a', 1]]);
    await views.save('b', 2);
    await cache.flushNow();
    expect(views.rows).toEqual([['a', 1], ['b', 2]]);
    expect(cache.now()).toBe(1_000);
  });

  it('gives each of several concurrent calls its own outcome, and ignores nested reads', async () => {
    await products.get(1);
    const [a, b] = await Promise.all([cache.outcomeOf(() => products.get(1)), cache.outcomeOf(() => products.get(2))]);
    expect([a, b]).toEqual(['hit', 'miss']);
    const nested = await cache.observe(async () => [await products.get(3), await products.get(1)]);
    expect(nested.outcome).toBe('miss');
    expect(nested.key).toBe('cachekit:product:3');
  });

  it('says bypass for a false condition and inside runtime.bypass()', async () => {
    expect(await cache.observe(() => products.maybe(0))).toEqual({ value: 0, outcome: 'bypass', method: 'Products.maybe', key: undefined });
    await products.get(1);
    expect(await cache.outcomeOf(() => cache.runtime.bypass(() => products.get(1)))).toBe('bypass');
    expect(await cache.outcomeOf(() => products.getMany([1, 2]))).toBe('hit');
  });

  it('refuses a call that made no cached read, and passes a rejection on', async () => {
    await expect(cache.outcomeOf(async () => 1)).rejects.toThrow('outcomeOf: the call made no cached read');
    await expect(cache.outcomeOf(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(cache.outcomeOf('get' as never)).rejects.toThrow(new TypeError('outcomeOf: expected a function that makes the call; got string'));
  });

  it('refuses wrong options with a TypeError naming the option and quoting the value', async () => {
    expect(() => createTestCache({ now: 'soon' as never })).toThrow(new TypeError("createTestCache: now must be a finite number of ms; got 'soon'"));
    expect(() => createTestCache({ random: 0.5 as never })).toThrow(new TypeError('createTestCache: random must be a function returning a number in [0, 1); got 0.5 (number)'));
    expect(() => createTestCache({ memory: { clock: { now: () => 1 } } as never })).toThrow(/^createTestCache: memory\.clock is the test cache's fake clock; got/);
    expect(() => createTestCache({ memory: {}, store: new MemoryStore() })).toThrow(new TypeError('createTestCache: memory configures the default MemoryStore, but store was given too; got memory {} (object)'));
    expect(() => createTestCache({ scheduler: 1 } as never)).toThrow(/^createTestCache: scheduler is the test cache's own fake clock \(testCache.clock\); got 1 \(number\)/);
    expect(() => createTestCache({ ttl: 'soon' as never })).toThrow(TypeError);
    await expect(cache.advance(-1)).rejects.toThrow(new TypeError('testCache.advance: ms must be a finite number >= 0; got -1 (number)'));
    expect(getCacheRuntime()).toBe(cache.runtime);
  });
});

describe('disableCaching', () => {
  it('makes every cached read run its method, for this runtime and the next, until restored', async () => {
    const products = new Products();
    const restore = disableCaching();
    try {
      const cache = createTestCache();
      expect(await cache.outcomeOf(() => products.get(1))).toBe('bypass');
      expect(await cache.outcomeOf(() => products.get(1))).toBe('bypass');
      expect(products.loads).toBe(2);
      expect(cache.store.writes).toEqual([]);
      await cache.close();
      const next = createTestCache();
      expect(await next.outcomeOf(() => products.get(1))).toBe('bypass');
      expect(next.stats().bypasses).toBe(1);
      restore();
      restore(); // a second call does nothing
      expect(await next.outcomeOf(() => products.get(1))).toBe('miss');
      expect(await next.outcomeOf(() => products.get(1))).toBe('hit');
      await next.close();
    } finally {
      restore();
    }
  });

  it('nests: caching is back when every disableCaching() was restored', async () => {
    const products = new Products();
    const cache = createTestCache();
    const outer = disableCaching();
    const inner = disableCaching();
    inner();
    expect(await cache.outcomeOf(() => products.get(1))).toBe('bypass');
    outer();
    expect(await cache.outcomeOf(() => products.get(1))).toBe('miss');
    await cache.close();
  });
});
