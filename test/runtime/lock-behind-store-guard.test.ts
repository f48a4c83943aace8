import { Cacheable, MemoryStore, RedisStore, configureCache, errors, type CacheStore, type ErrorContext } from '../../src/index.js';
import { chaosStore } from '../../src/testing/index.js';
import { redisUrl } from '../helpers/redis.js';

/** A custom store (no deadline of its own, so the runtime guards it) that can take locks, recording them. */
function lockingStore(): CacheStore & { taken: string[]; released: string[]; hangLocks: boolean } {
  const inner = new MemoryStore();
  const held = new Map<string, string>();
  let next = 0;
  const store = {
    name: 'locking',
    taken: [] as string[],
    released: [] as string[],
    hangLocks: false,
    read: (key: string, versionKeys: readonly string[]) => inner.read(key, versionKeys),
    readVersions: (versionKeys: readonly string[]) => inner.readVersions(versionKeys),
    write: (...args: Parameters<CacheStore['write']>) => inner.write(...args),
    writeIf: (...args: Parameters<CacheStore['writeIf']>) => inner.writeIf(...args),
    delete: (keys: readonly string[]) => inner.delete(keys),
    bump: (versionKeys: readonly string[]) => inner.bump(versionKeys),
    clear: () => inner.clear(),
    close: () => inner.close(),
    acquireLock(key: string): Promise<string | undefined> {
      if (store.hangLocks) return new Promise<never>(() => undefined);
      if (held.has(key)) return Promise.resolve(undefined);
      const token = `t${++next}`;
      held.set(key, token);
      store.taken.push(`${key}=${token}`);
      return Promise.resolve(token);
    },
    releaseLock(key: string, token: string): Promise<void> {
      store.released.push(`${key}=${token}`);
      if (held.get(key) === token) held.delete(key);
      return Promise.resolve();
    },
  };
  return store;
}

describe("a custom store's distributed lock behind the runtime's storeTimeout guard", () => {
  afterEach(() => configureCache());

  it('a miss with distributedLock takes and releases the custom store lock (the guard keeps it)', async () => {
    const store = lockingStore();
    configureCache({ store, prefix: 'app', storeTimeout: 1_000 });
    let runs = 0;
    class Reports {
      @Cacheable({ namespace: 'r', key: (id: string) => id, distributedLock: true })
      async build(id: string) {
        runs++;
        return `report ${id}`;
      }
    }
    const reports = new Reports();
    expect(await reports.build('x')).toBe('report x');
    expect(await reports.build('x')).toBe('report x');
    expect(runs).toBe(1);
    expect(store.taken).toEqual(['app#l:r:x=t1']);
    expect(store.released).toEqual(['app#l:r:x=t1']);
  });

  it('a lock that never answers is cut off by storeTimeout: the call runs the method and reports a StoreTimeoutError', async () => {
    const store = lockingStore();
    store.hangLocks = true;
    const reported: Array<{ error: unknown; operation: string }> = [];
    configureCache({ store, storeTimeout: 50, onError: (error: unknown, context: ErrorContext) => reported.push({ error, operation: context.operation }) });
    class Reports {
      @Cacheable({ namespace: 'r', key: (id: string) => id, distributedLock: true })
      async build(id: string) {
        return `report ${id}`;
      }
    }
    expect(await new Reports().build('y')).toBe('report y');
    expect(reported).toHaveLength(1);
    expect(reported[0]!.operation).toBe('lock');
    expect(reported[0]!.error).toBeInstanceOf(errors.StoreTimeoutError);
  });
});

describe('chaosStore keeps the optional operations of the store it wraps, under its mode', () => {
  it('over a RedisStore: readMany and the lock pass through while ok, and fail with everything else in throw mode', async () => {
    const redis = new RedisStore({ connection: redisUrl() });
    const chaos = chaosStore(redis);
    try {
      expect(typeof chaos.readMany).toBe('function');
      expect(typeof chaos.acquireLock).toBe('function');
      const key = `chaos-lock-${process.pid}-${Date.now()}`;
      const token = await chaos.acquireLock!(key, 5_000);
      expect(typeof token).toBe('string');
      expect(await chaos.acquireLock!(key, 5_000)).toBeUndefined(); // held
      await chaos.releaseLock!(key, token!);
      const again = await chaos.acquireLock!(key, 5_000); // released, so free again
      expect(typeof again).toBe('string');
      await chaos.releaseLock!(key, again!);
      expect(await chaos.readMany!(['chaos-a', 'chaos-b'], [[], []])).toHaveLength(2);
      chaos.mode('throw');
      await expect(chaos.acquireLock!(key, 5_000)).rejects.toThrow('chaos: store unavailable');
      await expect(chaos.readMany!(['chaos-a'], [[]])).rejects.toThrow('chaos: store unavailable');
      expect(chaos.failures).toBe(2);
    } finally {
      await redis.close();
    }
  });
});
