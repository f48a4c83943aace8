import 'reflect-metadata';
import { Cacheable, Invalidate, CacheDefaults, WriteThrough, configureCache, getCacheRuntime, MemoryStore, errors } from '../../src/index.js';

const db = new Map<string, number>();

@CacheDefaults({ namespace: 'price', ttl: '10m' })
class Prices {
  reads = 0;

  @Cacheable({ key: (sku: string) => sku, tags: (sku: string) => [`sku:${sku}`, 'prices'] })
  async get(sku: string) {
    this.reads++;
    return db.get(sku) ?? 0;
  }

  @Invalidate({ key: (sku: string) => sku })
  async set(sku: string, value: number) {
    if (value < 0) throw new Error('negative price');
    db.set(sku, value);
  }

  @Invalidate({ key: (skus: string[]) => skus })
  async setMany(skus: string[], value: number) {
    for (const sku of skus) db.set(sku, value);
  }

  @Invalidate({ allEntries: true, when: 'before' })
  async reimport(values: Record<string, number>) {
    for (const [k, v] of Object.entries(values)) db.set(k, v);
  }

  @Invalidate({ tags: (sku: string) => [`sku:${sku}`] })
  async touch(sku: string, value: number) {
    db.set(sku, value);
  }

  @Invalidate({ tags: ['prices'], when: 'always' })
  async failingBulk(): Promise<void> {
    db.set('a', 999);
    throw new Error('bulk failed half way');
  }

  @Invalidate({ key: (sku: string) => sku, when: 'before' })
  async failingBefore(sku: string): Promise<void> {
    db.set(sku, 555);
    throw new Error('failed after the drop');
  }
}

describe('@Invalidate (eviction / write-around)', () => {
  let p: Prices;
  beforeEach(() => {
    configureCache({ store: new MemoryStore() });
    db.clear();
    db.set('a', 1);
    db.set('b', 2);
    p = new Prices();
  });

  it('drops one key after the method succeeds, so the next read reloads', async () => {
    expect(await p.get('a')).toBe(1);
    await p.set('a', 10);
    expect(await p.get('a')).toBe(10);
    expect(p.reads).toBe(2);
  });

  it('drops nothing when the method fails (when: after)', async () => {
    await p.get('a');
    await expect(p.set('a', -1)).rejects.toThrow('negative price');
    expect(await p.get('a')).toBe(1);
    expect(p.reads).toBe(1);
  });

  it('drops several keys returned by the key function', async () => {
    await p.get('a');
    await p.get('b');
    await p.setMany(['a', 'b'], 7);
    expect([await p.get('a'), await p.get('b')]).toEqual([7, 7]);
    expect(p.reads).toBe(4);
  });

  it('drops a whole namespace by bumping its version', async () => {
    await p.get('a');
    await p.get('b');
    await p.reimport({ a: 100, b: 200 });
    expect([await p.get('a'), await p.get('b')]).toEqual([100, 200]);
    expect(p.reads).toBe(4);
  });

  it('drops by tag computed from the arguments, and leaves other tags alone', async () => {
    await p.get('a');
    await p.get('b');
    db.set('b', 20);
    await p.touch('a', 11);
    expect(await p.get('a')).toBe(11);
    expect(await p.get('b')).toBe(2);
    expect(p.reads).toBe(3);
  });

  it("drops after a failed method with when: 'always'", async () => {
    await p.get('a');
    await expect(p.failingBulk()).rejects.toThrow('bulk failed half way');
    expect(await p.get('a')).toBe(999);
  });

  it("drops before the method runs with when: 'before', even if it then fails", async () => {
    await p.get('a');
    await expect(p.failingBefore('a')).rejects.toThrow('failed after the drop');
    expect(await p.get('a')).toBe(555);
  });

  it('runtime.invalidate drops keys, namespaces and tags from code', async () => {
    await p.get('a');
    db.set('a', 2);
    await getCacheRuntime().invalidate({ namespace: 'price', keys: ['a'] });
    expect(await p.get('a')).toBe(2);
    db.set('a', 3);
    await getCacheRuntime().invalidate({ tags: ['prices'] });
    expect(await p.get('a')).toBe(3);
    db.set('a', 4);
    await getCacheRuntime().invalidate({ namespace: 'price', allEntries: true });
    expect(await p.get('a')).toBe(4);
  });

  it('treats invalidating a namespace or tag never used as a no-op', async () => {
    await getCacheRuntime().invalidate({ namespace: 'never-used', allEntries: true, tags: ['never-used'] });
    expect(await p.get('a')).toBe(1);
    expect(await p.get('a')).toBe(1);
    expect(p.reads).toBe(1);
  });

  it('counts invalidations in stats', async () => {
    await p.set('a', 3);
    await p.reimport({});
    expect(getCacheRuntime().stats().methods['Prices.set']!.invalidations).toBe(1);
    expect(getCacheRuntime().stats().methods['Prices.reimport']!.invalidations).toBe(1);
  });

  it('composes with @WriteThrough on one method (write one key, drop another)', async () => {
    class Lists {
      @WriteThrough({ namespace: 'item', key: (id: string) => id })
      @Invalidate({ namespace: 'list', key: () => 'all' })
      async save(id: string, v: number) {
        return v;
      }
      @Cacheable({ namespace: 'item', key: (id: string) => id })
      async item(_id: string) {
        return -1;
      }
    }
    const l = new Lists();
    await l.save('x', 5);
    expect(await l.item('x')).toBe(5);
  });

  it('checks its options when applied', () => {
    expect(() => Invalidate({ when: 'later' as never, allEntries: true })).toThrow("@Invalidate: when must be one of 'after', 'before', 'always'; got 'later'");
  });

  it('fails with KeyBuildError before the method runs when the key function throws', async () => {
    let ran = false;
    class Bad {
      @Invalidate({ key: () => {
        throw new Error('no id');
      } })
      async run() {
        ran = true;
      }
    }
    const error = await new Bad().run().catch((e: unknown) => e);
    expect(ran).toBe(false);
    expect(error).toBeInstanceOf(errors.KeyBuildError);
    expect((error as Error).message).toBe('key function threw: no id');
    expect(((error as Error).cause as Error).message).toBe('no id');
  });
});

describe('@CacheDefaults', () => {
  beforeEach(() => configureCache({ store: new MemoryStore(), stores: { other: new MemoryStore() }, ttl: '1h' }));

  it('resolves settings method, then class, then global', async () => {
    let calls = 0;
    @CacheDefaults({ namespace: 'users', store: 'other' })
    class Users {
      @Cacheable({ key: (id: string) => id })
      async get(id: string) {
        calls++;
        return { id };
      }
      @Cacheable({ key: (id: string) => id, namespace: 'profiles' })
      async profile(id: string) {
        calls++;
        return { profile: id };
      }
    }
    const u = new Users();
    await u.get('1');
    await u.profile('1');
    const other = getCacheRuntime().store('other') as MemoryStore;
    expect(other.size).toBe(2);
    expect((getCacheRuntime().store() as MemoryStore).size).toBe(0);
    expect(await u.get('1')).toEqual({ id: '1' });
    expect(await u.profile('1')).toEqual({ profile: '1' });
    expect(calls).toBe(2);
  });

  it('rejects bad options when applied', () => {
    expect(() => CacheDefaults({ ttl: 'soon' as never })).toThrow("@CacheDefaults: ttl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got 'soon'");
  });
});
