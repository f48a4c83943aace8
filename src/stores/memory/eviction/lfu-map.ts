/** The LFU eviction policy of MemoryStore (see the class comment). */

import { admittedWeight, type BoundedMap, type BoundedMapOptions } from './bounded-map.js';
import { LinkedList, type ListNode } from '../../structures/linked-list.js';

/** One entry: its value, size, access count and links within its frequency bucket. */
class LfuEntry<V> implements ListNode<LfuEntry<V>> {
  prev: LfuEntry<V> | null = null;
  next: LfuEntry<V> | null = null;
  constructor(
    readonly key: string,
    public value: V,
    public size: number,
    public bucket: FrequencyBucket<V>,
  ) {}
}

/** All entries with one access count, least recently used first. */
class FrequencyBucket<V> implements ListNode<FrequencyBucket<V>> {
  prev: FrequencyBucket<V> | null = null;
  next: FrequencyBucket<V> | null = null;
  readonly entries = new LinkedList<LfuEntry<V>>();
  constructor(public frequency: number) {}
}

/**
 * Least-frequently-used eviction in O(1) per operation (the frequency-bucket scheme of
 * Shah, Mitra and Matani, "An O(1) algorithm for implementing the LFU cache eviction scheme").
 * Hand-written: lru-cache, which backs the LRU policy, has no LFU mode.
 *
 * Buckets of equal access count sit in a linked list in ascending count; each bucket keeps
 * its entries in a linked list in recency order. An access moves an entry to the tail of the
 * next bucket; eviction takes the least recently used entry of the lowest bucket, so ties in
 * frequency are broken by recency. A new entry starts at count 1; a `get` hit and a `set`
 * of a present key each count one access. Counts only ever grow (no aging), and an entry's
 * count is forgotten when it leaves the map ("in-cache" LFU).
 *
 * Bounded by `maxEntries` and by `maxSize`: a `set` evicts until both hold. An entry larger
 * than `maxSize` on its own is not stored (and drops the old value under its key), as
 * lru-cache does. `onEvict` is called for evictions for room only.
 */
export class LfuMap<V extends {}> implements BoundedMap<V> {
  private readonly entries = new Map<string, LfuEntry<V>>();
  private readonly buckets = new LinkedList<FrequencyBucket<V>>();
  private readonly maxEntries: number;
  private readonly maxSize: number;
  private readonly sized: boolean;
  private readonly onEvict: (key: string) => void;
  private totalSize = 0;

  constructor(options: BoundedMapOptions) {
    this.maxEntries = options.maxEntries;
    this.maxSize = options.maxSize;
    this.sized = Number.isFinite(options.maxSize);
    this.onEvict = options.onEvict;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.touch(entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    const weight = admittedWeight(this, key, size, this.sized, this.maxSize);
    if (weight === undefined) return;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      this.touch(entry);
      entry.value = value;
      this.totalSize += weight - entry.size;
      entry.size = weight;
      this.notify(this.evictFor(0, 0, entry));
      return;
    }
    const evicted = this.evictFor(1, weight, null);
    let first = this.buckets.head;
    if (first === null || first.frequency !== 1) {
      first = new FrequencyBucket<V>(1);
      this.buckets.pushHead(first);
    }
    const created = new LfuEntry(key, value, weight, first);
    first.entries.pushTail(created);
    this.entries.set(key, created);
    this.totalSize += weight;
    this.notify(evicted);
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.unlink(entry);
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.buckets.clear();
    this.totalSize = 0;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Counts one access: moves the entry to the tail of the bucket one count higher. */
  private touch(entry: LfuEntry<V>): void {
    const bucket = entry.bucket;
    const next = bucket.next;
    if (bucket.entries.length === 1 && (next === null || next.frequency !== bucket.frequency + 1)) {
      // Alone in its bucket and no bucket for the next count: reuse the bucket.
      bucket.frequency++;
      return;
    }
    const target = this.bucketAfter(bucket, bucket.frequency + 1);
    bucket.entries.remove(entry);
    target.entries.pushTail(entry);
    entry.bucket = target;
    if (bucket.entries.length === 0) this.buckets.remove(bucket);
  }

  /** The bucket for `frequency` right after `anchor`, created if missing. */
  private bucketAfter(anchor: FrequencyBucket<V>, frequency: number): FrequencyBucket<V> {
    const next = anchor.next;
    if (next !== null && next.frequency === frequency) return next;
    const bucket = new FrequencyBucket<V>(frequency);
    this.buckets.insertAfter(anchor, bucket);
    return bucket;
  }

  /**
   * Evicts least frequently (then least recently) used entries, never `keep`, until `count`
   * more entries and `weight` more size fit.
   */
  private evictFor(count: number, weight: number, keep: LfuEntry<V> | null): string[] | undefined {
    let evicted: string[] | undefined;
    while (this.entries.size + count > this.maxEntries || this.totalSize + weight > this.maxSize) {
      const lowest = this.buckets.head;
      let victim = lowest === null ? null : lowest.entries.head;
      if (victim !== null && victim === keep) victim = keep.next ?? keep.bucket.next?.entries.head ?? null;
      if (victim === null) break;
      this.unlink(victim);
      (evicted ??= []).push(victim.key);
    }
    return evicted;
  }

  /** Removes an entry from the map, its bucket, and drops the bucket if it empties. */
  private unlink(entry: LfuEntry<V>): void {
    const bucket = entry.bucket;
    bucket.entries.remove(entry);
    if (bucket.entries.length === 0) this.buckets.remove(bucket);
    this.entries.delete(entry.key);
    this.totalSize -= entry.size;
  }

  /** Reports evictions once the map is consistent again (a callback may touch the map). */
  private notify(evicted: string[] | undefined): void {
    if (evicted !== undefined) for (const key of evicted) this.onEvict(key);
  }
}
