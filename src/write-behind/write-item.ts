/**
 * One queued write of one key: the calls to that key coalesced since its last flush.
 *
 * Lifecycle: `ready` (may still absorb newer calls, waits for its batch), `inflight` (handed
 * to the method, or waiting for a retry), then `settled` (written or dead-lettered). A call to a
 * key whose write is in flight starts a second item in state `waiting`, which becomes ready
 * when the first settles: order per key is kept. Only `ItemStates.move`
 * (write-behind/item-states.ts) changes the state.
 */

/** Where a write item is in its lifecycle; `new` only while it is being built. */
export type ItemState = 'new' | 'waiting' | 'ready' | 'inflight' | 'settled';

/** One queued write of one key (see the lifecycle above). */
export interface WriteItem {
  /** The full cache key. */
  readonly key: string;
  /** The key's place among the flusher's items while the item is unsettled (kept by `ItemStates`, write-behind/item-states.ts). */
  place: KeyPlace | undefined;
  /**
   * Creation order, across the flushers of a runtime (`ItemSequence`): flush barriers wait for
   * every item of their flusher up to a number, and the newest item of a key across flushers has
   * the highest.
   */
  readonly seq: number;
  /** When the write was accepted (the flusher's clock, ms): how old the oldest pending write is. */
  readonly queuedAt: number;
  /** The value to cache and to serve for read-your-writes (merged when `merge` is set). */
  value: unknown;
  /** The arguments the method receives (the last call's, with the merged value at `valueArg`). */
  args: unknown[];
  /** `this` of the last call. */
  self: unknown;
  /** How many calls this item stands for. */
  calls: number;
  /** Failed attempts that count toward `retry.attempts` (poison failures: see `PoisonRule` in poison-rule.ts). */
  attempts: number;
  /** Failed attempts so far, outages included (the backoff grows with it). */
  failures: number;
  /**
   * The flusher's clock at the item's last failure, or when it was queued: only a success of a
   * unit started after it is evidence that the database works while this item fails (poison).
   */
  lastFailedAt: number;
  /** Failed attempts since close() began (close gives up after `retry.attempts` of them). */
  closingFailures: number | undefined;
  /** Journal entry ids this item covers (durable mode), oldest first. */
  ids: string[] | undefined;
  /** Where the item is (changed only by `ItemStates.move`). */
  readonly state: ItemState;
  /** Whether the item came from another (crashed) process's journal entries. */
  replayed: boolean;
  /** Durable merge: its entries are being replaced by one compacted entry (it is not written meanwhile). */
  compacting: boolean | undefined;
  // ---- what reads of the key need to know (see runtime/queued-reads.ts) ----
  /** The flusher's `merge`, if any: a read combines the stored (database) value with the queued value through it. */
  readonly merge?: ((previous: any, next: any) => unknown) | undefined;
  /**
   * The item of the key that was in flight when this one was queued: until it settles, its value
   * may not be in the database yet. Cleared once this item settles (so a hot key's settled items
   * do not stay reachable one from the next).
   */
  previous?: WriteItem | undefined;
  /** While this item is in flight: the key's item queued behind it (waiting, then ready), if any; cleared when this one settles. */
  next: WriteItem | undefined;
  /** The key's pending cache entry record, once the item wrote or took one over (kept by runtime/pending-entries.ts; the flusher never reads it). */
  pendingEntry: PendingEntryHandle | undefined;
  /** Set, for a `merge` write, while the method call carrying the item runs, until the item settles or the call failed: the database may or may not have it (never set for last-wins writes: their reads never wait). */
  running: Promise<void> | undefined;
  /**
   * Set once its cache entry is being put right (the write reached the method or was given up):
   * settles when that is done. No pending entry may be written for the item from then on; a call
   * that finds it set waits for it instead.
   */
  releasing: Promise<void> | undefined;
  /** Set once the item settled (written or dead-lettered): `state === 'settled'`, set by the same move. */
  settled: true | undefined;
  /** What the runtime captured of each call's context when it was accepted (a span context, for tracing), at most {@link MAX_ORIGINS}. */
  origins: unknown[] | undefined;
}

/** A key's place among a flusher's items (see `ItemStates`): its newest unsettled item, or none once every item of the key settled. */
export interface KeyPlace {
  item: WriteItem | undefined;
}

/** What a write item holds of its key's pending cache entry (the record is the runtime's: see runtime/pending-entries.ts). */
export interface PendingEntryHandle {
  /** Set once the record is no longer the key's (released, or replaced). */
  readonly removed: boolean;
}

/** A group of items written by one method call: one item, or a `batchWith` batch. */
export interface WriteUnit {
  readonly items: WriteItem[];
  /** The flusher's clock when the method call of this attempt started. */
  startedAt?: number;
  /** When the flusher took this attempt up (`performance.now()`), for the `flush` event's duration. */
  startedMs?: number;
}

/** How many origins (see {@link WriteItem.origins}) an item, and a batch, keeps: the first ones. */
export const MAX_ORIGINS = 32;

/** The origins of a batch of `items`: theirs, in order, at most {@link MAX_ORIGINS}. */
export function originsOf(items: readonly WriteItem[]): unknown[] {
  const origins: unknown[] = [];
  for (const item of items) {
    for (const origin of item.origins ?? []) {
      if (origins.length === MAX_ORIGINS) return origins;
      origins.push(origin);
    }
  }
  return origins;
}

/** Compares two Redis Stream ids (`ms-seq`): negative if `a` is older than `b`. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = splitId(a);
  const [bm, bs] = splitId(b);
  return am !== bm ? am - bm : as - bs;
}

function splitId(id: string): [number, number] {
  const dash = id.indexOf('-');
  return dash < 0 ? [Number(id), 0] : [Number(id.slice(0, dash)), Number(id.slice(dash + 1))];
}
