/**
 * Per-call control scoped to an async context: `runtime.bypass(fn)` makes every cached read inside
 * `fn` (and everything it awaits) skip the cache, `runtime.refresh(fn)` makes it reload and store.
 * Kept in an AsyncLocalStorage, which is only consulted once a scope was ever opened, so the hit
 * path of a process that never uses them pays one boolean check.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

/** What a scope does to the cached reads inside it. */
export type CallScopeMode = 'bypass' | 'refresh';

const storage = new AsyncLocalStorage<CallScopeMode>();
let opened = false;

/** Runs `fn` with every cached read inside it in `mode`; returns what `fn` returns. */
export function runInScope<T>(mode: CallScopeMode, fn: () => T): T {
  if (typeof fn !== 'function') throw new TypeError(`runtime.${mode}: expected a function to run; got ${typeof fn}`);
  opened = true;
  return storage.run(mode, fn);
}

/** How many {@link bypassAll} calls are not restored yet: while above 0, a read outside any scope bypasses. */
let bypassingAll = 0;

/**
 * Makes every cached read of the process skip the cache (as inside `runtime.bypass()`), whichever
 * runtime is configured now or later, until the returned function is called; calls nest (caching
 * is back when each one was restored). A `runtime.refresh()` scope still refreshes. For tests:
 * `disableCaching()` of `cachekit/testing` is this.
 * @returns a function that restores caching (calling it again does nothing)
 */
export function bypassAll(): () => void {
  opened = true;
  bypassingAll++;
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    bypassingAll--;
  };
}

/** The mode of the scope the current call runs in, if any. */
export function currentScope(): CallScopeMode | undefined {
  return opened ? (storage.getStore() ?? (bypassingAll !== 0 ? 'bypass' : undefined)) : undefined;
}
