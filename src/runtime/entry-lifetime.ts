/**
 * The lifetime of an entry written with `grace` or `refreshAhead`: the times it carries (stale
 * after `ttl`, refresh after `refreshAhead` of it, grace until `ttl + grace`) and how long the
 * store keeps it (`ttl + grace`). A read compares them with the runtime's clock: one number
 * compare on the hit path, only for entries that carry times.
 */
import type { StoredEntry } from '../cache-store.js';
import type { ReadPolicy } from './read-policy.js';

/**
 * Sets the times of `entry` for a TTL of `ttlMs` starting `now`, and returns how long the store
 * must keep it. Without grace and refresh-ahead (or without a TTL) the entry carries no times.
 */
export function stampLifetime(entry: StoredEntry, policy: ReadPolicy, ttlMs: number, now: number): number {
  if (!policy.timed || ttlMs <= 0) return ttlMs;
  entry.s = now + ttlMs;
  if (policy.refreshAhead > 0) entry.r = now + Math.floor(ttlMs * policy.refreshAhead);
  if (policy.graceMs > 0) {
    entry.q = entry.s + policy.graceMs;
    entry.b = 0;
    return ttlMs + policy.graceMs;
  }
  return ttlMs;
}

/** Where a timed entry stands at `now`. */
export type EntryAge = 'fresh' | 'refresh' | 'stale' | 'expired';

/**
 * `fresh` before its refresh-after time, `refresh` between that and its stale-after time, `stale`
 * after it but within its grace (servable only when the reload fails), `expired` past its grace
 * (never served). An entry without times is always `fresh` (the store expires it).
 */
export function ageOf(entry: StoredEntry, now: number): EntryAge {
  const s = entry.s;
  if (s === undefined) return 'fresh';
  if (now < s) return entry.r !== undefined && now >= entry.r ? 'refresh' : 'fresh';
  return entry.q !== undefined && now < entry.q ? 'stale' : 'expired';
}
