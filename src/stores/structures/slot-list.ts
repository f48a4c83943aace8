/**
 * Doubly linked lists of numbered slots, their links kept in two shared typed arrays: no object
 * per element. MemoryStore's eviction policies keep recency order in them (head = least recent,
 * tail = most recent); a slot belongs to at most one list at a time.
 *
 * Each element of an object-based list ({@link LinkedList}) costs an object of its own (72-80
 * bytes with its fields, more with boxed numbers); here an element costs 8 bytes (two 32-bit
 * links), which is what lets a MemoryStore entry hold no object of its own (see
 * docs/internals/memory.md).
 */

/** No slot: the end of a list, or the link of a slot in no list. */
export const NO_SLOT = -1;

/** The links of every slot: `prev[s]` and `next[s]` (or {@link NO_SLOT}). Grows; never shrinks. */
export class SlotLinks {
  prev: Int32Array;
  next: Int32Array;

  constructor(capacity: number) {
    this.prev = new Int32Array(capacity).fill(NO_SLOT);
    this.next = new Int32Array(capacity).fill(NO_SLOT);
  }

  /** Number of slots the links have room for. */
  get capacity(): number {
    return this.next.length;
  }

  /** Makes room for `capacity` slots, keeping every link. */
  grow(capacity: number): void {
    if (capacity <= this.next.length) return;
    const prev = new Int32Array(capacity).fill(NO_SLOT);
    const next = new Int32Array(capacity).fill(NO_SLOT);
    prev.set(this.prev);
    next.set(this.next);
    this.prev = prev;
    this.next = next;
  }
}

/** One list of slots over a {@link SlotLinks}: O(1) append, removal and move-to-tail. */
export class SlotList {
  /** The first (least recent) slot, or {@link NO_SLOT} when empty. */
  head = NO_SLOT;
  /** The last (most recent) slot, or {@link NO_SLOT} when empty. */
  tail = NO_SLOT;
  /** Number of slots in the list. */
  length = 0;

  constructor(private readonly links: SlotLinks) {}

  /** Appends `slot` (which must be in no list) at the tail. */
  pushTail(slot: number): void {
    const { prev, next } = this.links;
    prev[slot] = this.tail;
    next[slot] = NO_SLOT;
    if (this.tail === NO_SLOT) this.head = slot;
    else next[this.tail] = slot;
    this.tail = slot;
    this.length++;
  }

  /** Unlinks `slot`, which must be in this list, and clears its links. */
  remove(slot: number): void {
    const { prev, next } = this.links;
    const before = prev[slot]!;
    const after = next[slot]!;
    if (before === NO_SLOT) this.head = after;
    else next[before] = after;
    if (after === NO_SLOT) this.tail = before;
    else prev[after] = before;
    prev[slot] = NO_SLOT;
    next[slot] = NO_SLOT;
    this.length--;
  }

  /** Moves `slot`, which must be in this list, to the tail (marks it most recent). */
  moveToTail(slot: number): void {
    const tail = this.tail;
    if (tail === slot) return;
    // (remove + pushTail in one: the hit path of LRU and W-TinyLFU)
    const { prev, next } = this.links;
    const before = prev[slot]!;
    const after = next[slot]!; // not the tail: there is one after it
    if (before === NO_SLOT) this.head = after;
    else next[before] = after;
    prev[after] = before;
    prev[slot] = tail;
    next[slot] = NO_SLOT;
    next[tail] = slot;
    this.tail = slot;
  }

  /** Moves `slot`, which must be in this list, to the tail of `to` (a list over the same links). */
  moveTo(slot: number, to: SlotList): void {
    // (remove + to.pushTail in one: an LFU hit, a W-TinyLFU promotion)
    const { prev, next } = this.links;
    const before = prev[slot]!;
    const after = next[slot]!;
    if (before === NO_SLOT) this.head = after;
    else next[before] = after;
    if (after === NO_SLOT) this.tail = before;
    else prev[after] = before;
    this.length--;
    const tail = to.tail;
    prev[slot] = tail;
    next[slot] = NO_SLOT;
    if (tail === NO_SLOT) to.head = slot;
    else next[tail] = slot;
    to.tail = slot;
    to.length++;
  }

  /** The slot after `slot` in its list, or {@link NO_SLOT}. */
  nextOf(slot: number): number {
    return this.links.next[slot]!;
  }

  /** Forgets every slot (their links are left as they are: the caller frees the slots). */
  clear(): void {
    this.head = NO_SLOT;
    this.tail = NO_SLOT;
    this.length = 0;
  }
}
