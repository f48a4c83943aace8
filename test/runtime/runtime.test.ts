import 'reflect-metadata';
import { Cacheable, configureCache, getCacheRuntime, MemoryStore, errors, type CacheStore } from '../../src/index.js';
import { chaosStore } from 'cachekit/testing';

class Catalog {
  calls = 0;
  @Cacheable({ key: (id: string) => id })
  async get(id: string) {
    this.calls++;
    return `item-${id}`;
  }
}

describe('bootstrap', () => {
  it('works before any configureCache, on a default memory store', async () => {
    const c = new Catalog();
    expect(await c.get('1')).toBe('item-1');
    expect(await c.get('1')).toBe('item-1');
    expect(c.calls).toBe(1);
    expect(getCacheRuntime().settings.store).toBeInstanceOf(MemoryStore);
  });

  it('applies a new configureCache to every later call', async () => {
    const c = new Catalog();
    const first = configureCache({ store: new MemoryStore() });
    await c.get('1');
    const second = configureCache({ store: new MemoryStore(), prefix: 'other' });
    await c.get('1');
    expect(c.calls).toBe(2);
    expect(first.stats().misses).toBe(1);
    expect(second.stats().misses).toBe(1);
    expect(getCacheRuntime()).toBe(second);
  });

  it('rejects bad configuration with a TypeError naming the option', () => {
    expect(() => configureCache({ ttl: -1 })).toThrow("configureCache: ttl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got -1 (number)");
    expect(() => configureCache({ store: {} as CacheStore })).toThrow('configureCache: store must be a CacheStore');
    expect(() => configureCache({ prefix: '' })).toThrow("configureCache: prefix must be a non-empty string; got ''");
    expect(() => configureCache({ nope: 1 } as never)).toThrow("configureCache: unknown option 'nope'");
    expect(() => new MemoryStore({ policy: 'fifo' as never })).toThrow("MemoryStore: policy must be one of 'lru', 'lfu', 'tinylfu'; got 'fifo'");
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow('MemoryStore: maxEntries must be an integer >= 1; got 0 (number)');
  });

  it('warns once (code CK_NO_TTL) when a shared store gets no default TTL', () => {
    const emit = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    configureCache({ store: new MemoryStore(), ttl: 0 });
    configureCache({ store: chaosStore(new MemoryStore()), ttl: 0 });
    configureCache({ store: chaosStore(new MemoryStore()), ttl: 0 });
    expect(emit.mock.calls).toEqual([
      ['configureCache: ttl 0 with a shared store keeps entries until Redis evicts them; set a ttl', { type: 'CacheKitWarning', code: 'CK_NO_TTL' }],
    ]);
    emit.mockRestore();
  });

  it('fails a call that names an unknown store with UnknownStoreError', async () => {
    configureCache({});
    class Svc {
      @Cacheable({ store: 'nowhere' })
      async m() {
        return 1;
      }
    }
    await expect(new Svc().m()).rejects.toThrow(new errors.UnknownStoreError("no store named 'nowhere' (configured: none)"));
  });
});

describe('stats and events', () => {
  it('counts hits, misses, sets and the hit rate, overall and per method', async () => {
    const runtime = configureCache({ store: new MemoryStore() });
    const c = new Catalog();
    await c.get('1');
    await c.get('1');
    await c.get('1');
    await c.get('2');
    const stats = runtime.stats();
    expect(stats.methods['Catalog.get']).toMatchObject({ hits: 2, misses: 2, sets: 2, hitRate: 0.5, errors: 0 });
    expect(stats).toMatchObject({ hits: 2, misses: 2, sets: 2, hitRate: 0.5 });
  });

  it('emits hit, miss, set and evict events', async () => {
    const runtime = configureCache({ store: new MemoryStore({ maxEntries: 1 }) });
    const seen: string[] = [];
    for (const e of ['hit', 'miss', 'set', 'evict'] as const) runtime.on(e, (p) => seen.push(`${e}:${(p as { key: string }).key}`));
    const c = new Catalog();
    await c.get('1');
    await c.get('1');
    await c.get('2');
    expect(seen).toEqual([
      'miss:cachekit:Catalog.get:1',
      'set:cachekit:Catalog.get:1',
      'hit:cachekit:Catalog.get:1',
      'miss:cachekit:Catalog.get:2',
      'evict:cachekit:Catalog.get:1',
      'set:cachekit:Catalog.get:2',
    ]);
    expect(runtime.stats().evictions).toBe(1);
  });

  it('falls back to the method when the store throws, reporting through the hook, events and stats', async () => {
    const chaos = chaosStore(new MemoryStore());
    const hooked: string[] = [];
    const runtime = configureCache({ store: chaos, onError: (e, ctx) => hooked.push(`${ctx.operation}:${(e as Error).message}`) });
    const evented: string[] = [];
    runtime.on('error', (p) => evented.push(p.operation));
    chaos.mode('throw');
    const c = new Catalog();
    expect(await c.get('1')).toBe('item-1');
    expect(await c.get('1')).toBe('item-1');
    expect(c.calls).toBe(2);
    expect(hooked).toEqual(['read:chaos: store unavailable', 'read:chaos: store unavailable']);
    expect(evented).toEqual(['read', 'read']);
    expect(runtime.stats().methods['Catalog.get']!.errors).toBe(2);
  });

  it('falls back to the method when the store hangs, after storeTimeout', async () => {
    const chaos = chaosStore(new MemoryStore());
    const hooked: unknown[] = [];
    configureCache({ store: chaos, storeTimeout: 50, onError: (e) => hooked.push(e) });
    chaos.mode('hang');
    const c = new Catalog();
    expect(await c.get('1')).toBe('item-1');
    expect(hooked).toHaveLength(1);
    expect(hooked[0]).toBeInstanceOf(errors.StoreTimeoutError);
    expect((hooked[0] as { code: string }).code).toBe('E_STORE_TIMEOUT');
  });

  it('collects every error class, each with a stable code, in the errors map', () => {
    const codes = Object.values(errors).map((E) => new E('x').code);
    expect(codes).toEqual([
      'E_CACHEKIT', 'E_KEY_BUILD', 'E_STORE', 'E_STORE_TIMEOUT', 'E_CIRCUIT_OPEN', 'E_VALUE_TOO_LARGE', 'E_SERIALIZATION', 'E_DECORATOR_USAGE',
      'E_UNKNOWN_STORE', 'E_CACHE_WRITE', 'E_QUEUE_FULL', 'E_RUNTIME_CLOSED', 'E_WRITE_BEHIND_FAILED', 'E_LOADER_TIMEOUT',
    ]);
  });
});
