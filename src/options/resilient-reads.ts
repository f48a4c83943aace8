import type { Duration } from '../duration.js';

/**
 * What a read does while the method behind it (the loader) is slow or failing: keep an expired
 * value for a grace period and serve it when the reload fails (fail-safe), give the loader a
 * deadline, reload in the background before the entry expires, and give `null` results their own
 * TTL. Accepted by `@Cacheable`, `@CacheableMany`, `@CacheDefaults` and `configureCache`; a method
 * option wins over the class default, which wins over the runtime's.
 * See docs/resilient-reads.md.
 */
export interface ResilientReadOptions {
  /**
   * How long an entry is kept after its TTL (physically, in the store) so it can be served when
   * its reload fails or times out. A stale value is never served when the reload succeeds, and a
   * value removed by `@Invalidate` (default `mode: 'remove'`) is never served again. `0`: none.
   * @default 0
   */
  grace?: Duration;
  /** After a reload of a key failed and its stale value was served, how long that key is served stale before the next reload. @default '5s' */
  graceBackoff?: Duration;
  /**
   * Soft deadline of the loader when a stale value exists: the call returns the stale value after
   * this long and the loader finishes in the background, storing its result under the lease (a
   * write or invalidation that landed meanwhile wins). `0`: none. @default 0
   */
  timeout?: Duration;
  /**
   * Hard deadline of the loader: the call rejects with `LoaderTimeoutError` after this long (or
   * serves the stale value if there is one); the loader's result is still stored under the lease
   * when it arrives. `0`: none. @default 0
   */
  hardTimeout?: Duration;
  /**
   * Refresh-ahead: a hit after this fraction of the TTL (e.g. `0.8`) starts one background reload
   * of the key and serves the current value meanwhile; the reload is dropped if a write or
   * invalidation lands first. Between 0 and 1, exclusive; `0`: none. @default 0
   */
  refreshAhead?: number;
  /** TTL of `null` and `undefined` results (negative caching; with `cacheNull: false` they are not stored). @default the entry's `ttl` */
  nullTtl?: Duration;
}

