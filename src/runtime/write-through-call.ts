import type { WriteThroughOptions } from '../options/write-through.js';
import { CacheWriteError } from '../errors.js';
import type { ReadResult, StoredEntry } from '../cache-store.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodCall } from './cacheable-call.js';
import { newGeneration } from '../stores/generation.js';
import { unregisteredClassWatcher } from './unregistered-class-warning.js';
import { WRITE_THROUGH_DEFAULTS } from '../defaults.js';

/**
 * Write-through. The key is built first (a bad key fails the call before the database is
 * touched) and the key's current generation is read (the write's lease). The method runs;
 * on success the value is written only if the key still has that generation. If another write,
 * invalidation or load of the key landed meanwhile, the order of the two database writes is
 * unknown, so the key is invalidated instead: the next read loads whatever the database holds.
 * If the cache write fails, the key is invalidated (retried until the store takes it) and the
 * error reported; the call resolves with the result unless `throwOnCacheError`.
 */
export function createWriteThroughCall(target: EntryTarget, options: WriteThroughOptions, original: (...args: any[]) => any): MethodCall {
  const { runtime, store, stats, method, ttlMs } = target;
  const { value: valueOf, throwOnCacheError = WRITE_THROUGH_DEFAULTS.throwOnCacheError } = options;
  const watch = unregisteredClassWatcher(method, store, valueOf ? 'cached' : 'returned');
  return async function writeThroughCall(self, args) {
    const key = target.keysOf(args) as string;
    const versionKeys = target.versionKeysOf(args);
    let lease: ReadResult | undefined;
    let failure: unknown;
    try {
      lease = store.readSync?.(key, versionKeys) ?? (await store.read(key, versionKeys));
    } catch (error) {
      failure = error;
      // the read is the write's lease: to the user this is a failed write, not a failed read
      runtime.report(error, { operation: 'write', method, key, step: 'write-through lease read' }, stats);
    }
    const result = await original.apply(self, args);
    const value = valueOf ? valueOf(result, ...args) : result;
    watch?.(value);
    let written = false;
    if (lease !== undefined) {
      try {
        written = await store.writeIf(key, entryOf(value, versionKeys, lease.versions), ttlMs, lease.entry?.g);
      } catch (error) {
        failure = error;
        runtime.report(error, { operation: 'write', method, key, step: 'write-through cache write' }, stats);
      }
    }
    if (written) {
      stats.sets++;
      if (runtime.events.has('set')) runtime.events.emit('set', { method, key, store: store.name });
      return result;
    }
    // The database has the new value: whatever the cache holds for the key must go.
    await runtime.drop(store, [key], [], method);
    if (throwOnCacheError && failure !== undefined) {
      throw new CacheWriteError(`${method}: the method succeeded but the cache write of '${key}' failed`, { cause: failure });
    }
    return result;
  };
}

/** A fresh entry for `value` under the namespace and tag versions read with the lease. */
export function entryOf(value: unknown, versionKeys: readonly string[], versions: readonly number[]): StoredEntry {
  const entry: StoredEntry = { v: value, g: newGeneration(), n: versions[0] ?? 0 };
  if (versionKeys.length > 1) {
    entry.t = {};
    for (let i = 1; i < versionKeys.length; i++) entry.t[versionKeys[i]!] = versions[i]!;
  }
  return entry;
}
