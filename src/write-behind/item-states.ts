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
 * superseded or left in the journal.
 *
 * A key has at most two unsettled items: one in flight, and one queued (ready or waiting) that
 * takes the key's newer calls; a waiting item's `previous` is the one in flight, whose `next` is
 * the waiting one. So one map, each key's place holding its newest unsettled item, answers every
 * question by key (the in-flight item behind a waiting one is its `previous`), and the ready items
 * wait in an array, oldest ready first. An unsettled item holds its key's place, so only a new
 * item of a key with no unsettled item looks the key up (besides the call's own lookup); a settle
 * empties the place through the item (its `next`, if any, holds it already). A key whose items
 * all settled keeps its empty place, until many such places are swept: the map does not rehash
 * its keys as the queue fills and drains.
 *
 * {@link ItemStates.move} is the only code that changes `item.state`, and the map, the ready
 * array and the counters change only beside it, so they cannot disagree; an illegal move throws
 * (a flusher bug, never a user error). The moves are {@link ItemStates.add} (new to ready or
 * waiting), {@link ItemStates.takeReady} (ready to inflight, a batch at a time) and
 * {@link ItemStates.settle} (inflight to settled, and the key's waiting item to ready).
 */
import type { ItemState, KeyPlace, WriteItem } from './write-item.js';

/** Keys of settled writes the map of newest items keeps at most (beyond three times the keys with items): see `ItemStates.vacate`. */
const VACANT_KEPT = 16_384;

/** Whether the lifecycle above allows the move `from` -> `to`. */
function allowed(from: ItemState, to: ItemState): boolean {
  switch (to) {
    case 'ready':
      return from === 'new' || from === 'waiting';
    case 'waiting':
      return from === 'new';
    case 'inflight':
      return from === 'ready';
    case 'settled':
      return from === 'inflight';
    default:
      return false;
  }
}

/** Whether `item` still takes newer calls of its key (ready or waiting). */
export function isQueuedState(item: WriteItem): boolean {
  return item.state === 'ready' || item.state === 'waiting';
}

/** The unsettled items of a flusher (at most one in flight and one queued per key), and the moves between their states. */
export class ItemStates {
  /**
   * Each key's place, holding its newest unsettled item: the queued one if any, else the one in
   * flight. An unsettled item holds its key's place too (`item.place`), so a move finds it with no
   * lookup. A key whose items all settled keeps its place with no item until {@link sweep}, so a
   * queue that fills and drains over the same keys neither grows nor shrinks the map (each of
   * which rehashes every key) and the key's next write finds its place.
   */
  private readonly newest = new Map<string, KeyPlace>();
  /** Places of {@link newest} with no item (every item of their keys settled). */
  private vacant = 0;

  /** @param vacantKept keys of settled writes the map keeps at most beyond three times the keys with items (see {@link vacate}) */
  constructor(private readonly vacantKept = VACANT_KEPT) {}

  /** Keys the map holds, with items or keeping their place: at most `vacantKept` more than four times the keys with unsettled items. */
  get placesHeld(): number {
    return this.newest.size;
  }
  /** Ready items from `head` on, oldest ready first (slots before `head` are cleared). */
  private ready: Array<WriteItem | undefined> = [];
  private head = 0;
  private readyN = 0;
  private inflightN = 0;
  private unsettledN = 0;

  /** Items not settled yet (waiting, ready or in flight). */
  get size(): number {
    return this.unsettledN;
  }

  /** Items being written (the method running, a retry waiting for its backoff). */
  get inFlightCount(): number {
    return this.inflightN;
  }

  /** Items ready to be taken for a write. */
  get readyCount(): number {
    return this.readyN;
  }

  /** The oldest item not settled yet, if any (a scan: for `inspect()`, not for the hot path). */
  get oldest(): WriteItem | undefined {
    let oldest: WriteItem | undefined;
    for (const item of this.unsettledItems()) if (oldest === undefined || item.seq < oldest.seq) oldest = item;
    return oldest;
  }

  /** The key's newest unsettled item (queued, else in flight), if any. */
  newestOf(key: string): WriteItem | undefined {
    return this.newest.get(key)?.item;
  }

  /** Whether a call to `key` would coalesce into a queued item. */
  isQueued(key: string): boolean {
    const item = this.newest.get(key)?.item;
    return item !== undefined && isQueuedState(item);
  }

  /** The key's unsettled items, newest first (the queued one, then the one in flight). */
  unsettledOf(key: string): WriteItem[] {
    const item = this.newest.get(key)?.item;
    if (item === undefined) return [];
    return item.state === 'waiting' && item.previous !== undefined ? [item, item.previous] : [item];
  }

  /**
   * Adds a new item: `waiting` behind `item.previous` (the key's write in flight), else `ready`.
   * @param current the key's newest unsettled item, as {@link newestOf} returned it just before (the caller looked it up already)
   * @throws Error when the key has a queued item already, or `previous` is not the key's item in flight (a flusher bug)
   */
  add(item: WriteItem, current: WriteItem | undefined): void {
    const inFlight = current !== undefined && current.state === 'inflight' ? current : undefined;
    if ((current !== undefined && inFlight === undefined) || item.previous !== inFlight) {
      throw new Error(`write-behind: a new item of '${item.key}' does not fit beside its key's items (${current?.state ?? 'none'})`);
    }
    if (inFlight !== undefined) inFlight.next = item;
    this.move(item, inFlight === undefined ? 'ready' : 'waiting');
  }

  /**
   * Moves up to `n` ready items to `inflight`, oldest ready first, passing over items being
   * compacted (they stay ready, in their place).
   * @returns the items taken
   */
  takeReady(n: number): WriteItem[] {
    const taken: WriteItem[] = [];
    const ready = this.ready;
    let kept: WriteItem[] | undefined;
    let i = this.head;
    while (taken.length < n && i < ready.length) {
      const item = ready[i]!;
      ready[i++] = undefined;
      if (item.compacting) (kept ??= []).push(item);
      else {
        this.move(item, 'inflight');
        taken.push(item);
      }
    }
    if (kept !== undefined) {
      i -= kept.length;
      for (let j = 0; j < kept.length; j++) ready[i + j] = kept[j];
    }
    this.head = i;
    if (i === ready.length) {
      ready.length = 0;
      this.head = 0;
    } else if (i >= 1024 && i * 2 >= ready.length) {
      this.ready = ready.slice(i);
      this.head = 0;
    }
    return taken;
  }

  /**
   * Settles an item in flight (written, dead-lettered, superseded or left in the journal), and
   * makes the key's waiting item, if any, ready.
   * @returns the key's item that became ready, if any
   */
  settle(item: WriteItem): WriteItem | undefined {
    this.move(item, 'settled');
    const next = item.next;
    if (next === undefined) return undefined;
    item.next = undefined;
    this.move(next, 'ready');
    return next;
  }

  /** Every unsettled item (no order). */
  *unsettledItems(): IterableIterator<WriteItem> {
    for (const { item } of this.newest.values()) {
      if (item === undefined) continue;
      yield item;
      if (item.state === 'waiting' && item.previous !== undefined) yield item.previous;
    }
  }

  /** Puts `item`, ready when new, in its key's place (the key has no unsettled item: it has a place with none, or none yet). */
  private place(item: WriteItem): void {
    let place = this.newest.get(item.key);
    if (place === undefined) this.newest.set(item.key, (place = { item }));
    else {
      place.item = item;
      this.vacant--;
    }
    item.place = place;
    this.unsettledN++;
  }

  /** The key's items all settled: it keeps its place with no item, until there are many such places. */
  private vacate(place: KeyPlace): void {
    place.item = undefined;
    if (++this.vacant > this.vacantKept && this.vacant > 3 * this.unsettledN) this.sweep();
  }

  /**
   * Drops the keys with no item: when more than `vacantKept` of them outnumber the keys with
   * items three to one (so the map never holds more than that many keys of settled writes, and a
   * sweep's cost is at most a few steps per key placed since the last).
   */
  private sweep(): void {
    for (const [key, place] of this.newest) if (place.item === undefined) this.newest.delete(key);
    this.vacant = 0;
  }

  /**
   * Moves `item` to state `to`, with the map, the ready array and the counters. The only writer
   * of `item.state` and `item.settled`; a ready item leaves the ready array through
   * {@link takeReady} only.
   * @throws Error when the move is not in the lifecycle (a flusher bug)
   */
  private move(item: WriteItem, to: ItemState): void {
    const from = item.state;
    if (!allowed(from, to)) throw new Error(`write-behind: item '${item.key}' cannot go from ${from} to ${to}`);
    switch (to) {
      case 'waiting': {
        // the in-flight item's place
        const place = item.previous!.place!;
        place.item = item;
        item.place = place;
        this.unsettledN++;
        break;
      }
      case 'ready':
        if (from === 'new') {
          this.place(item);
        } else if (item.previous?.settled !== true) {
          throw new Error(`write-behind: item '${item.key}' cannot be ready while the key's write is in flight`);
        }
        this.ready.push(item);
        this.readyN++;
        break;
      case 'inflight':
        this.readyN--;
        this.inflightN++;
        break;
      case 'settled':
        this.inflightN--;
        this.unsettledN--;
        // the key's newest item is this one unless a newer one waits behind it (`next`)
        if (item.next === undefined) this.vacate(item.place!);
        item.place = undefined;
        item.settled = true;
        item.previous = undefined; // settled long ago: no chain of a hot key's items stays reachable
        break;
    }
    (item as { state: ItemState }).state = to;
  }
}
