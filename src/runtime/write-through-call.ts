import type { WriteThroughOptions } from '../decorators/write-through.js';
import { CacheWriteError } from '../errors.js';
import type { StoredEntry } from '../stores/store.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodCall } from './cacheable-call.js';
import { newGeneration } from './generation.js';

/**
 * Write-through: the key is built first (a bad key fails the call before the database is
 * touched); the method runs; on success the value is written with a new generation (so any
 * miss in flight cannot overwrite it). If the cache write fails, the key is invalidated and
 * the error reported; the call resolves with the result unless `throwOnCacheError`.
 */
export function createWriteThroughCall(target: EntryTarget, options: WriteThroughOptions, original: (...args: any[]) => any): MethodCall {
  const { runtime, store, stats, method, ttlMs } = target;
  const { value: valueOf, throwOnCacheError } = options;
  return async function writeThroughCall(self, args) {
    const key = target.keysOf(args) as string;
    const versionKeys = target.versionKeysOf(args);
    const result = await original.apply(self, args);
    const value = valueOf ? valueOf(result, ...args) : result;
    try {
      await writeEntry(target, key, versionKeys, value, ttlMs);
      stats.sets++;
      if (runtime.events.has('set')) runtime.events.emit('set', { method, key, store: store.name });
    } catch (error) {
      runtime.report(error, { operation: 'write', method, key }, stats);
      // The database has the new value: the old entry must go (retried until the store takes it).
      await runtime.drop(store, [key], [], method);
      if (throwOnCacheError) {
        throw new CacheWriteError(`${method}: the method succeeded but the cache write of '${key}' failed`, { cause: error });
      }
    }
    return result;
  };
}

/** Writes a value under the current namespace and tag versions, with a fresh generation. */
export async function writeEntry(
  target: EntryTarget,
  key: string,
  versionKeys: readonly string[],
  value: unknown,
  ttlMs: number,
  flags?: Pick<StoredEntry, 'w'>,
): Promise<void> {
  const versions = await target.store.readVersions(versionKeys);
  const entry: StoredEntry = { v: value, g: newGeneration(), n: versions[0], ...flags };
  if (versionKeys.length > 1) {
    entry.t = {};
    for (let i = 1; i < versionKeys.length; i++) entry.t[versionKeys[i]!] = versions[i]!;
  }
  await target.store.write(key, entry, ttlMs);
}
