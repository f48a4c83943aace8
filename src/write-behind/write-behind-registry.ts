import type { WriteItem } from './write-item.js';

/**
 * The write-behind side of a runtime, as the runtime and `@Cacheable` see it: one flusher per
 * decorated method, created on first use (see `WriteBehindFlushers` in runtime/write-behind-flushers.ts).
 */
export interface WriteBehindRegistry {
  /** The newest write queued for a full key, if one is pending (read-your-writes; see `runtime/queued-reads.ts`). */
  pending(key: string): WriteItem | undefined;
  /**
   * The write of `item`'s key newer than `item` (an item not settled yet) pending in any flusher,
   * if any: `pending(item.key)` when that is another item. With one flusher, no lookup (the item's `next`).
   */
  newerThan(item: WriteItem): WriteItem | undefined;
  /** Every unsettled item of a full key, in every flusher (no order). */
  unsettledOf(key: string): WriteItem[];
  /** How many flushers (decorated methods) the runtime has: with one, a key's items are all in it. */
  readonly flusherCount: number;
  /** Whether any write is queued at all (a cheap check for the hit path). */
  readonly hasPending: boolean;
  /** Writes held by every flusher (queued, in flight or retrying). Never above the sum of their `maxPending`. */
  readonly size: number;
  /** Each flusher's method and what it holds now (pending, in flight, the oldest write's age in ms). */
  inspect(): Array<{ method: string; pending: number; inFlight: number; oldestPendingAgeMs: number }>;
  /** Resolves when every write queued before the call has reached its method (or was dead-lettered). */
  flush(): Promise<void>;
  /** Flushes, then stops timers, journals and signal handlers. */
  close(): Promise<void>;
}
