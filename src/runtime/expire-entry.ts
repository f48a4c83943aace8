/**
 * `@Invalidate({ mode: 'expire' })`: makes a key's entry stale instead of removing it. An entry
 * written with grace is rewritten with its stale-after time set to now and a new generation (so a
 * load in flight, whose lease is the old generation, cannot store over it); a reader then reloads
 * it and serves it only if the reload fails or times out, until its grace ends. Anything else (no
 * entry, no grace, past its grace, a pending write-behind entry, a lost compare-and-set) gets the
 * tombstone of a removal.
 */
import type { CacheStore, StoredEntry } from '../cache-store.js';
import { newGeneration } from '../stores/generation.js';
import { writeTombstone } from './tombstones.js';

/** Expires `key` at `now` (see the file header). @returns whether the key was expired or tombstoned */
export async function expireEntry(store: CacheStore, key: string, now: number, leaseMs: number): Promise<boolean> {
  const { entry } = await store.read(key, []);
  if (entry !== undefined && entry.d !== 1 && entry.w !== 1 && entry.q !== undefined && now < entry.q && entry.s !== undefined) {
    const expired: StoredEntry = { ...entry, g: newGeneration(), s: Math.min(entry.s, now), b: 0 };
    delete expired.r;
    if (await store.writeIf(key, expired, entry.q - now, entry.g)) return true;
  }
  return writeTombstone(store, key, leaseMs);
}
