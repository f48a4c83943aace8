/** The LFU eviction policy of MemoryStore (see the class comment). */

import { NO_SLOT, SlotList, type SlotLinks } from '../../structures/slot-list.js';
import { LinkedList, type ListNode } from '../../structures/linked-list.js';
import type { BoundedMapOptions } from './bounded-map.js';
import { SlotMap } from './slot-map.js';

/** All entries with one access count, least recently used first. */
class FrequencyBucket implements ListNode<FrequencyBucket> {
  prev: FrequencyBucket | null = null;
  next: FrequencyBucket | null = null;
  readonly entries: SlotList;
  constructor(
    public frequency: number,
    /** Its index in {@link LfuMap}'s bucket table (what a slot records). */
    readonly id: number,
    links: SlotLinks,
  ) {
    this.entries = new SlotList(links);
  }
}

/**
 * Least-frequently-used eviction in O(1) per operation (the frequency-bucket scheme of
 * Shah, Mitra and Matani, "An O(1) algorithm for implementing the LFU cache eviction scheme").
 * Hand-written: lru-cache, which no policy uses any more, has no LFU mode either.
 *
 * Buckets of equal access count sit in a linked list in ascending count; each bucket keeps
 * its entries (slots) in a list in recency order. An access moves an entry to the tail of the
 * next bucket; eviction takes the least recently used entry of the lowest bucket, so ties in
 * frequency are broken by recency. A new entry starts at count 1; a `get` hit and a `set`
 * of a present key each count one access. Counts only ever grow (no aging), and an entry's
 * count is forgotten when it leaves the map ("in-cache" LFU).
 *
 * Bounded by `maxEntries` and by `maxSize`: a `set` evicts until both hold, never the entry
 * being written. An entry larger than `maxSize` on its own is not stored (and drops the old
 * value under its key). `onEvict` is called for evictions for room only.
 */
export class LfuMap<V> extends SlotMap<V> {
  private readonly buckets = new LinkedList<FrequencyBucket>();
  /** Bucket id -> bucket (one per count in use; a few for all the entries); ids of dropped buckets are reused. */
  private readonly table: (FrequencyBucket | undefined)[] = [];
  private readonly freeIds: number[] = [];
  /** Slot -> the id of its bucket: 4 bytes a slot, and no write barrier on a move. */
  private bucketOf: Int32Array;

  constructor(options: BoundedMapOptions) {
    super(options);
    this.bucketOf = new Int32Array(this.capacity);
  }

  protected accessed(slot: number): void {
    this.touch(slot);
  }

  protected added(slot: number): void {
    let first = this.buckets.head;
    if (first === null || first.frequency !== 1) {
      first = this.newBucket(1);
      this.buckets.pushHead(first);
    }
    first.entries.pushTail(slot);
    this.bucketOf[slot] = first.id;
  }

  protected updated(slot: number): void {
    this.touch(slot);
  }

  protected removed(slot: number): void {
    const bucket = this.table[this.bucketOf[slot]!]!;
    bucket.entries.remove(slot);
    if (bucket.entries.length === 0) this.dropBucket(bucket);
  }

  /** Evicts least frequently (then least recently) used entries, never the one just written. */
  protected evictForRoom(): void {
    const keep = this.lastPut;
    while (this.size > this.maxEntries || this.totalSize > this.maxSize) {
      const lowest = this.buckets.head;
      let victim = lowest === null ? NO_SLOT : lowest.entries.head;
      if (victim !== NO_SLOT && victim === keep) {
        victim = lowest!.entries.nextOf(keep);
        if (victim === NO_SLOT) victim = lowest!.next?.entries.head ?? NO_SLOT;
      }
      if (victim === NO_SLOT) return;
      this.evict(victim);
    }
  }

  protected cleared(): void {
    this.buckets.clear();
    this.table.length = 0;
    this.freeIds.length = 0;
  }

  protected override grow(capacity: number): void {
    super.grow(capacity);
    const bucketOf = new Int32Array(capacity);
    bucketOf.set(this.bucketOf);
    this.bucketOf = bucketOf;
  }

  /** Counts one access: moves the entry to the tail of the bucket one count higher. */
  private touch(slot: number): void {
    const bucket = this.table[this.bucketOf[slot]!]!;
    const next = bucket.next;
    if (bucket.entries.length === 1 && (next === null || next.frequency !== bucket.frequency + 1)) {
      // Alone in its bucket and no bucket for the next count: reuse the bucket.
      bucket.frequency++;
      return;
    }
    const target = this.bucketAfter(bucket, bucket.frequency + 1);
    bucket.entries.moveTo(slot, target.entries);
    this.bucketOf[slot] = target.id;
    if (bucket.entries.length === 0) this.dropBucket(bucket);
  }

  /** The bucket for `frequency` right after `anchor`, created if missing. */
  private bucketAfter(anchor: FrequencyBucket, frequency: number): FrequencyBucket {
    const next = anchor.next;
    if (next !== null && next.frequency === frequency) return next;
    const bucket = this.newBucket(frequency);
    this.buckets.insertAfter(anchor, bucket);
    return bucket;
  }

  /** A new bucket (not yet in the list), under a free id. */
  private newBucket(frequency: number): FrequencyBucket {
    const id = this.freeIds.pop() ?? this.table.length;
    const bucket = new FrequencyBucket(frequency, id, this.links);
    this.table[id] = bucket;
    return bucket;
  }

  /** Drops an empty bucket from the list and frees its id. */
  private dropBucket(bucket: FrequencyBucket): void {
    this.buckets.remove(bucket);
    this.table[bucket.id] = undefined;
    this.freeIds.push(bucket.id);
  }
}
