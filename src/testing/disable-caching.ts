import { bypassAll } from 'cachekit';

/**
 * Makes every decorated read of the process run its method, for test suites that want the code
 * under the cache, not the cache: each `@Cacheable` / `@CacheableMany` call (and `wrap` of
 * `runtime.cache()`) skips the cache as inside `runtime.bypass()`: it runs the method, stores
 * nothing and counts a `bypass`. Holds for the runtime configured now and every one configured
 * later, until restored. `@WriteThrough`, `@Invalidate` and `@WriteBehind` behave as always (their
 * methods run; a queued write-behind value still answers its key).
 *
 * ```ts
 * let restore: () => void;
 * beforeAll(() => { restore = disableCaching(); });
 * afterAll(() => restore());
 * ```
 * @returns a function that restores caching (calls nest; calling it twice does nothing)
 */
export function disableCaching(): () => void {
  return bypassAll();
}
