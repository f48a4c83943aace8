import 'reflect-metadata';
import { Cacheable, WriteThrough, configureCache, MemoryStore, errors, type CacheStore } from '../../src/index.js';
import { chaosStore } from 'cachekit/testing';

/** A tiny "database" the services below read and write. */
const db = new Map<string, { id: string; name: string }>();

class Products {
  reads = 0;
  @Cacheable({ namespace: 'product', key: (id: string) => id })
  async get(id: string) {
    this.reads++;
    return db.get(id) ?? null;
  }

  @WriteThrough({ namespace: 'product', key: (id: string) => id })
  async update(id: string, name: string) {
    if (name === 'fail') throw new Error('constraint violated');
    const row = { id, name };
    db.set(id, row);
    return row;
  }

  @WriteThrough({ namespace: 'product', key: (id: string) => id, value: (result: { name: string }) => ({ ...result, tagged: true }) })
  async updateMapped(id: string, name: string) {
    db.set(id, { id, name });
    return { id, name };
  }

  @WriteThrough({ namespace: 'product', key: (id: string) => id, throwOnCacheError: true })
  async updateStrict(id: string, name: string) {
    db.set(id, { id, name });
    return { id, name };
  }
}

describe('@WriteThrough', () => {
  let reported: unknown[];
  const configure = (store: CacheStore) => configureCache({ store, onError: (e) => reported.push(e) });
  beforeEach(() => {
    db.clear();
    db.set('p1', { id: 'p1', name: 'old' });
    reported = [];
    configure(new MemoryStore());
  });

  it('stores the returned value under the key @Cacheable reads', async () => {
    const p = new Products();
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'old' });
    expect(await p.update('p1', 'new')).toEqual({ id: 'p1', name: 'new' });
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'new' });
    expect(p.reads).toBe(1);
  });

  it('stores value(result, ...args) when given', async () => {
    const p = new Products();
    await p.updateMapped('p2', 'x');
    expect(await p.get('p2')).toEqual({ id: 'p2', name: 'x', tagged: true });
    expect(p.reads).toBe(0);
  });

  it('leaves the cache untouched and propagates the error when the method throws', async () => {
    const p = new Products();
    await p.get('p1');
    const failure = p.update('p1', 'fail');
    await expect(failure).rejects.toThrow(new Error('constraint violated'));
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'old' });
    expect(p.reads).toBe(1);
  });

  it('resolves with the result, reports, and never serves the old entry when the store is down during the write', async () => {
    const chaos = chaosStore(new MemoryStore());
    const runtime = configure(chaos);
    const p = new Products();
    await p.get('p1');
    chaos.mode('throw');
    expect(await p.update('p1', 'new')).toEqual({ id: 'p1', name: 'new' });
    expect((reported as Error[]).map((e) => e.message)).toEqual(['chaos: store unavailable', 'chaos: store unavailable']);
    // the store came back still holding 'old': until the retried invalidation lands, reads bypass it
    chaos.mode('ok');
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'new' });
    expect(runtime.unconfirmed.size).toBe(1);
    await runtime.unconfirmed.retry();
    expect(runtime.unconfirmed.size).toBe(0);
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'new' });
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'new' });
    expect(p.reads).toBe(3);
    await runtime.close();
  });

  it('drops the old entry when only the invalidation gets through after a failed write', async () => {
    const inner = new MemoryStore();
    let failWrites = false;
    const flaky: CacheStore = Object.assign(Object.create(inner) as CacheStore, {
      writeIf: (...a: Parameters<CacheStore['writeIf']>) => (failWrites ? Promise.reject(new Error('write lost')) : inner.writeIf(...a)),
    });
    configure(flaky);
    const p = new Products();
    await p.get('p1');
    failWrites = true;
    await p.update('p1', 'new');
    failWrites = false;
    expect(await p.get('p1')).toEqual({ id: 'p1', name: 'new' });
    expect(p.reads).toBe(2);
  });

  it('rejects with CacheWriteError (cause kept) under throwOnCacheError, after the database write', async () => {
    const chaos = chaosStore(new MemoryStore());
    configure(chaos);
    chaos.mode('throw');
    const p = new Products();
    const error = await p.updateStrict('p3', 'z').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(errors.CacheWriteError);
    expect((error as Error & { code: string }).code).toBe('E_CACHE_WRITE');
    expect(((error as Error).cause as Error).message).toBe('chaos: store unavailable');
    expect(db.get('p3')).toEqual({ id: 'p3', name: 'z' });
  });

  it('fails with KeyBuildError before the method runs when the key function returns a non-string', async () => {
    let ran = false;
    class Bad {
      @WriteThrough({ key: () => ({}) as unknown as string })
      async save() {
        ran = true;
        return 1;
      }
    }
    await expect(new Bad().save()).rejects.toBeInstanceOf(errors.KeyBuildError);
    expect(ran).toBe(false);
  });

  it('rejects bad options when applied', () => {
    expect(() => WriteThrough({ value: 'x' as never })).toThrow("@WriteThrough: value must be a function; got 'x'");
    expect(() => WriteThrough({ throwOnCacheError: 1 as never })).toThrow('@WriteThrough: throwOnCacheError must be a boolean; got 1 (number)');
  });
});
