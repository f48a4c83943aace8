/**
 * The items of one flusher, by state: the storage side of the write-behind queue, kept apart
 * from the flusher that schedules method calls (as p-queue keeps its `Queue` apart from the
 * scheduler).
 *
 *     new --+--> waiting --+--> ready --> inflight --> settled
 *           |              |
 *           +--------------+   (straight to ready when no write of the key is in flight)
 *
 * A new item is `ready`, or `waiting` when its key's write is in flight; a waiting item becomes
 * ready when that write settles; `inflight` covers the check for a newer write (durable), a
 * method call running, and a retry waiting for its backoff; `settled` is written, dead-lettered,
 * superseded or left in the journal. {@link ItemStates.transition} is the only code that changes
 * `item.state` or the maps below, so the two cannot disagree: every unsettled item is in exactly
 * one map, under its key, and an illegal move throws (a flusher bug, never a user error).
 */
import type { ItemState, WriteItem } from './write-item.js';

/** The moves {@link ItemStates.transition} allows, by current state. */
const NEXT: Readonly<Record<ItemState, readonly ItemState[]>> = {
  new: ['ready', 'waiting'],
  waiting: ['ready'],
  ready: ['inflight'],
  inflight: ['settled'],
  settled: [],
};

type Held = Exclude<ItemState, 'new' | 'settled'>;

/** The unsettled items of a flusher, one map per state (at most one item per key in each), and the one function that moves them. */
export class ItemStates {
  private readonly byState: Record<Held, Map<string, WriteItem>> = { waiting: new Map(), ready: new Map(), inflight: new Map() };
  /** Every item not settled yet, in creation order (so the first is the oldest). */
  private readonly unsettled = new Map<number, WriteItem>();

  /** Items not settled yet (waiting, ready or in flight). */
  get size(): number {
    return this.unsettled.size;
  }

  /** Items being written (the method running, a retry waiting for its backoff). */
  get inFlightCount(): number {
    return this.byState.inflight.size;
  }

  /** The oldest item not settled yet, if any. */
  get oldest(): WriteItem | undefined {
    for (const item of this.unsettled.values()) return item;
    return undefined;
  }

  /** Items ready to be taken for a write. */
  get readyCount(): number {
    return this.byState.ready.size;
  }

  /**
   * Moves `item` to state `to`, updating the maps with it. The only writer of `item.state` and
   * `item.settled`.
   * @throws Error when the move is not in the lifecycle, or a second item of the key would share a state (a flusher bug)
   */
  transition(item: WriteItem, to: ItemState): void {
    const from = item.state;
    if (!NEXT[from].includes(to)) throw new Error(`write-behind: item '${item.key}' cannot go from ${from} to ${to}`);
    if (from === 'new') this.unsettled.set(item.seq, item);
    else this.byState[from as Held].delete(item.key);
    if (to === 'settled') {
      this.unsettled.delete(item.seq);
      item.settled = true;
    } else {
      const map = this.byState[to as Held];
      if (map.has(item.key)) throw new Error(`write-behind: two items of '${item.key}' would be ${to}`);
      map.set(item.key, item);
    }
    (item as { state: ItemState }).state = to;
  }

  /** The key's item in state `state`, if any. */
  get(state: Held, key: string): WriteItem | undefined {
    return this.byState[state].get(key);
  }

  /** The key's item that still takes newer calls (ready or waiting), if any. */
  queuedOf(key: string): WriteItem | undefined {
    return this.byState.ready.get(key) ?? this.byState.waiting.get(key);
  }

  /** Whether a call to `key` would coalesce into a queued item. */
  isQueued(key: string): boolean {
    return this.byState.ready.has(key) || this.byState.waiting.has(key);
  }

  /** The ready items, oldest ready first. */
  readyItems(): IterableIterator<WriteItem> {
    return this.byState.ready.values();
  }

  /** Every unsettled item, oldest first. */
  unsettledItems(): IterableIterator<WriteItem> {
    return this.unsettled.values();
  }
}
