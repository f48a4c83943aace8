import type { CacheStore } from '../cache-store.js';
import { newGeneration } from '../stores/generation.js';

/**
 * Invalidates `key` in `store`: a tombstone with a fresh generation for `ttlMs` (a miss in flight
 * holds the older generation and will not store). A pending entry (a queued write-behind write,
 * the newest accepted value of the key) is kept, unless `writer` is the runtime that wrote it and
 * releases it after its write reached the method. A store without `writeTombstone` gets a plain
 * write of the tombstone.
 * @returns whether the tombstone was written (a store without `writeTombstone`: always)
 */
export async function writeTombstone(store: CacheStore, key: string, ttlMs: number, writer?: number): Promise<boolean> {
  const tombstone = { g: newGeneration(), d: 1 as const };
  if (store.writeTombstone !== undefined) return store.writeTombstone(key, tombstone, ttlMs, writer);
  await store.write(key, tombstone, ttlMs);
  return true;
}
