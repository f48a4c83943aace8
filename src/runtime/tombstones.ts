import { StoreError } from '../errors.js';
import { keepsPendingEntry, type CacheStore, type StoredEntry } from '../cache-store.js';
import { newGeneration } from '../stores/generation.js';

/** Compare-and-set rounds of the fallback for a store without `writeTombstone` before it gives up (reported and retried). */
const FALLBACK_ROUNDS = 5;

/**
 * Invalidates `key` in `store`: a tombstone with a fresh generation for `ttlMs` (a miss in flight
 * holds the older generation and will not store). A pending entry (a queued write-behind write,
 * the newest accepted value of the key) is kept, unless `writer` is the runtime that wrote it and
 * releases it after its write reached the method. A store without `writeTombstone` (a custom
 * store) gets the same rule from its `read` and `writeIf`: the key is read, a pending entry of
 * another writer is kept, anything else is replaced by a compare-and-set on its generation
 * (repeated while the key keeps changing; a StoreError after {@link FALLBACK_ROUNDS} rounds).
 * @returns whether the tombstone was written
 */
export async function writeTombstone(store: CacheStore, key: string, ttlMs: number, writer?: number): Promise<boolean> {
  const tombstone: StoredEntry = { g: newGeneration(), d: 1 };
  if (store.writeTombstone !== undefined) return store.writeTombstone(key, tombstone, ttlMs, writer);
  for (let round = 0; round < FALLBACK_ROUNDS; round++) {
    const { entry } = await store.read(key, []);
    if (keepsPendingEntry(entry, writer)) return false;
    if (await store.writeIf(key, tombstone, ttlMs, entry?.g)) return true;
  }
  throw new StoreError(`${store.name}: the tombstone of '${key}' lost ${FALLBACK_ROUNDS} compare-and-sets in a row (the key kept changing)`);
}
