import type { CacheStore, ReadResult, StoreHooks, StoredEntry } from 'cachekit';
import { quote } from 'cachekit';

/** How a {@link ChaosStore} answers: normally, by rejecting, or never. */
export type ChaosMode = 'ok' | 'throw' | 'hang';

/** A store that fails on demand (see {@link chaosStore}). */
export interface ChaosStore extends CacheStore {
  /** The store the operations go to while the mode is `'ok'`. */
  readonly inner: CacheStore;
  /** Operations attempted while failing (`'throw'` or `'hang'`). */
  readonly failures: number;
  /** Sets how every following operation behaves; operations already hung stay hung, as a dead server's would. */
  mode(mode: ChaosMode): void;
}

/**
 * Wraps `store` so that its operations fail when the test says so, to prove that decorated calls
 * survive a failing store: `mode('throw')` rejects every operation with an `Error('chaos: store
 * unavailable')`, `mode('hang')` leaves every operation pending forever (the runtime's
 * `storeTimeout` turns that into a `StoreTimeoutError`), `mode('ok')` forwards again. Deterministic:
 * no randomness, no timers. The wrapper answers no read synchronously (`readSync`), so every read
 * goes through the mode; `close()` always reaches the inner store. The inner store's batch read
 * (`readMany`) and distributed lock are kept, under the same mode.
 * @throws TypeError when `store` is not a CacheStore
 */
export function chaosStore(store: CacheStore): ChaosStore {
  if (typeof store !== 'object' || store === null || typeof (store as CacheStore).read !== 'function') {
    throw new TypeError(`chaosStore: store must be a CacheStore (MemoryStore, RedisStore, TieredStore, ...); got ${quote(store)}`);
  }
  let current: ChaosMode = 'ok';
  let failures = 0;
  const guard = <T>(op: () => Promise<T>): Promise<T> => {
    if (current === 'ok') return op();
    failures++;
    if (current === 'throw') return Promise.reject(new Error('chaos: store unavailable'));
    return new Promise<T>(() => undefined);
  };
  const chaos: ChaosStore = {
    name: 'chaos',
    inner: store,
    get failures() {
      return failures;
    },
    mode(mode: ChaosMode) {
      if (mode !== 'ok' && mode !== 'throw' && mode !== 'hang') throw new TypeError(`chaosStore: mode must be 'ok', 'throw' or 'hang'; got ${quote(mode)}`);
      current = mode;
    },
    read: (key: string, versionKeys: readonly string[]): Promise<ReadResult> => guard(() => store.read(key, versionKeys)),
    readVersions: (versionKeys: readonly string[]) => guard(() => store.readVersions(versionKeys)),
    write: (key: string, entry: StoredEntry, ttlMs: number) => guard(() => store.write(key, entry, ttlMs)),
    writeIf: (key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined) => guard(() => store.writeIf(key, entry, ttlMs, expected)),
    /** The inner store's conditional tombstone (a plain write of it when the inner store has none). */
    writeTombstone: (key: string, tombstone: StoredEntry, ttlMs: number, writer?: number) =>
      guard(() => (store.writeTombstone ? store.writeTombstone(key, tombstone, ttlMs, writer) : store.write(key, tombstone, ttlMs).then(() => true))),
    delete: (keys: readonly string[]) => guard(() => store.delete(keys)),
    bump: (versionKeys: readonly string[]) => guard(() => store.bump(versionKeys)),
    clear: () => guard(() => store.clear()),
    close: () => store.close(),
    attach: (hooks: StoreHooks) => store.attach?.(hooks),
  };
  // the optional operations the inner store has stay, under the same mode (a chaos store over a
  // RedisStore still batches reads and takes distributed locks, and they fail with the rest)
  const readMany = store.readMany?.bind(store);
  if (readMany) chaos.readMany = (keys, versionKeys) => guard(() => readMany(keys, versionKeys));
  const acquireLock = store.acquireLock?.bind(store);
  const releaseLock = store.releaseLock?.bind(store);
  if (acquireLock && releaseLock) {
    chaos.acquireLock = (key, ttlMs) => guard(() => acquireLock(key, ttlMs));
    chaos.releaseLock = (key, token) => guard(() => releaseLock(key, token));
  }
  return chaos;
}
