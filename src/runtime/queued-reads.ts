import type { WriteItem } from '../write-behind/write-item.js';

/**
 * How a `@Cacheable` read of a key with a queued write-behind write answers in the process that
 * queued it (read-your-writes):
 * - last wins (no `merge`): the queued value itself;
 * - `merge` (counters, patches, appends): the stored value (the cache entry, or the database
 *   value the method loads) combined with the queued values through `merge`, oldest first:
 *   `merge(merge(stored, inFlight), queued)`. Never the bare delta. While the method call that
 *   carries a queued value runs, the database may or may not hold it yet, so the read waits for
 *   that call to settle; a read whose stored value was fetched while a call ran is made again.
 */

/** The items of the key not settled yet, oldest first: the one in flight when `newest` was queued (if any), then `newest`. */
export function unsettledChain(newest: WriteItem): WriteItem[] {
  const previous = newest.previous;
  return previous !== undefined && previous.settled !== true ? [previous, newest] : [newest];
}

/** Settles when a method call carrying one of `chain` settles; undefined when none runs. */
export function runningWrite(chain: readonly WriteItem[]): Promise<void> | undefined {
  for (const item of chain) if (item.running !== undefined) return item.running;
  return undefined;
}

/** What a read observed of the chain before fetching the stored value: each item's failed attempts. */
export function attemptsOf(chain: readonly WriteItem[]): number[] {
  return chain.map((item) => item.attempts);
}

/** Whether no method call carrying `chain` started since {@link attemptsOf} returned `attempts` (and none settled). */
export function unchangedSince(chain: readonly WriteItem[], attempts: readonly number[]): boolean {
  return chain.every((item, i) => item.settled !== true && item.running === undefined && item.attempts === attempts[i]);
}

/** The stored value combined with the queued values of `chain` through their `merge`, oldest first. */
export function combineQueued(stored: unknown, chain: readonly WriteItem[]): unknown {
  let value = stored;
  for (const item of chain) value = item.merge === undefined ? item.value : item.merge(value, item.value);
  return value;
}
