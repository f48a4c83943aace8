import type { StoredEntry } from '../cache-store.js';

/**
 * Whether an entry read with `versions` (the current values of `versionKeys`: namespace
 * first, then tags) may be served: not a tombstone, written under the current namespace
 * version and the current version of each of its tags. A pending entry (`w`: a queued
 * write-behind value) is served whatever the versions say: the queued write reaches the
 * database after the invalidation did, so it is the newest value of the key.
 * @returns true or false, or the tag version keys that were not read (the caller reads them and asks again)
 */
export function isFresh(entry: StoredEntry, versionKeys: readonly string[], versions: readonly number[]): boolean | string[] {
  if (entry.d === 1) return false;
  if ((entry.n ?? 0) !== versions[0]) return entry.w === 1;
  const tags = entry.t;
  if (tags === undefined) return true;
  let unread: string[] | undefined;
  for (const tagKey in tags) {
    const i = versionKeys.indexOf(tagKey);
    if (i < 0) (unread ??= []).push(tagKey);
    else if (versions[i] !== tags[tagKey]) return entry.w === 1;
  }
  return unread === undefined || entry.w === 1 ? true : unread;
}

/** Whether every tag in `keys` still has the version the entry recorded. */
export function tagsStillCurrent(entry: StoredEntry, keys: readonly string[], versions: readonly number[]): boolean {
  return keys.every((k, i) => entry.t?.[k] === versions[i]);
}
