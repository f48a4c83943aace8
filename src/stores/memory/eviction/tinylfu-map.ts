/** The W-TinyLFU eviction policy of MemoryStore (see the class comment). */

import { admittedWeight, type BoundedMap, type BoundedMapOptions } from './bounded-map.js';
import { CountMinSketch, hashKey } from './count-min-sketch.js';
import { LinkedList, type ListNode } from '../../structures/linked-list.js';

/** Which queue an entry is in. */
const WINDOW = 0;
const PROBATION = 1;
const PROTECTED = 2;
type Queue = typeof WINDOW | typeof PROBATION | typeof PROTECTED;

/** Share of the capacity (entries and size) given to the main space; the rest is the window. */
const PERCENT_MAIN = 0.99;
/** Share of the main space given to its protected segment; the rest is probation. */
const PERCENT_MAIN_PROTECTED = 0.8;
/**
 * A candidate this frequent that loses to its victim is still admitted once in 128 times, so an
 * attacker cannot pin hot victims in place by flooding colliding keys (as in Caffeine).
 */
const ADMIT_HASHDOS_THRESHOLD = 6;

/** One entry: its value, size, key hash (for the sketch), queue and links within it. */
class TinyLfuEntry<V> implements ListNode<TinyLfuEntry<V>> {
  prev: TinyLfuEntry<V> | null = null;
  next: TinyLfuEntry<V> | null = null;
  queue: Queue = WINDOW;
  constructor(
    readonly key: string,
    public value: V,
    public size: number,
    readonly hash: number,
  ) {}
}

/**
 * W-TinyLFU eviction, as in Caffeine (Einziger, Friedman and Manes, "TinyLFU: A Highly
 * Efficient Cache Admission Policy"). Hand-written: lru-cache, which backs the LRU policy,
 * has no frequency-based mode.
 *
 * - A small **window** LRU (1% of the capacity) takes every new entry, so bursts of new keys
 *   get a chance to prove themselves.
 * - The **main** space (99%) is a segmented LRU: entries arrive in **probation** (20%); a hit
 *   there promotes them to **protected** (80%), whose overflow is demoted back to probation.
 * - A **count-min sketch** of 4-bit counters ({@link CountMinSketch}) estimates each key's
 *   recent frequency, halved every `10 x capacity` increments (aging). A `get` hit and every
 *   `set` count one occurrence.
 * - **Admission**: when the map is over capacity, the entry pushed out of the window (the
 *   candidate) is compared with the least recent entry of probation (the victim); the
 *   candidate enters the main space only if its estimated frequency is higher, otherwise it
 *   is evicted. A candidate with frequency >= 6 that loses is admitted once in 128 times
 *   (a deterministic generator), against hash-flooding attacks.
 *
 * Not included: Caffeine's adaptive window sizing (hill climbing) and the doorkeeper Bloom
 * filter of the paper (Caffeine ships without it too). Every operation is O(1) amortized
 * (the sketch's halving is O(width) once per `10 x width` increments).
 *
 * Bounded by `maxEntries` and `maxSize`; both the window and the protected segment take their
 * share of each bound. An entry larger than `maxSize` on its own is not stored (and drops the
 * old value under its key), as lru-cache does. `onEvict` is called for every entry evicted
 * for room, including a candidate refused by admission; not for delete, overwrite or clear.
 */
export class TinyLfuMap<V extends {}> implements BoundedMap<V> {
  private readonly entries = new Map<string, TinyLfuEntry<V>>();
  private readonly window = new LinkedList<TinyLfuEntry<V>>();
  private readonly probation = new LinkedList<TinyLfuEntry<V>>();
  private readonly protected = new LinkedList<TinyLfuEntry<V>>();
  private readonly sketch: CountMinSketch;
  private readonly maxEntries: number;
  private readonly maxSize: number;
  private readonly sized: boolean;
  private readonly windowMaxEntries: number;
  private readonly windowMaxSize: number;
  private readonly protectedMaxEntries: number;
  private readonly protectedMaxSize: number;
  private readonly onEvict: (key: string) => void;
  private totalSize = 0;
  private windowSize = 0;
  private protectedSize = 0;
  private evicted: string[] = [];
  private random = 0x2545f491;

  constructor(options: BoundedMapOptions) {
    this.maxEntries = options.maxEntries;
    this.maxSize = options.maxSize;
    this.sized = Number.isFinite(options.maxSize);
    this.onEvict = options.onEvict;
    this.windowMaxEntries = this.maxEntries - Math.floor(this.maxEntries * PERCENT_MAIN);
    this.protectedMaxEntries = Math.floor((this.maxEntries - this.windowMaxEntries) * PERCENT_MAIN_PROTECTED);
    if (this.sized) {
      this.windowMaxSize = this.maxSize - Math.floor(this.maxSize * PERCENT_MAIN);
      this.protectedMaxSize = Math.floor((this.maxSize - this.windowMaxSize) * PERCENT_MAIN_PROTECTED);
    } else {
      this.windowMaxSize = Infinity;
      this.protectedMaxSize = Infinity;
    }
    // Start small and grow with the number of entries held (see set).
    this.sketch = new CountMinSketch(Math.min(this.maxEntries, 256));
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.sketch.increment(entry.hash);
    this.onAccess(entry);
    return entry.value;
  }

  set(key: string, value: V, size: number): void {
    const weight = admittedWeight(this, key, size, this.sized, this.maxSize);
    if (weight === undefined) return;
    const entry = this.entries.get(key);
    if (entry !== undefined) {
      const delta = weight - entry.size;
      entry.value = value;
      entry.size = weight;
      this.totalSize += delta;
      if (entry.queue === WINDOW) this.windowSize += delta;
      else if (entry.queue === PROTECTED) this.protectedSize += delta;
      this.sketch.increment(entry.hash);
      this.onAccess(entry);
    } else {
      const created = new TinyLfuEntry(key, value, weight, hashKey(key));
      this.entries.set(key, created);
      this.window.pushTail(created);
      this.windowSize += weight;
      this.totalSize += weight;
      const width = this.sketch.width;
      if (this.entries.size > width >>> 1 && width < this.maxEntries) {
        this.sketch.ensureCapacity(Math.min(this.maxEntries, width * 4));
      }
      this.sketch.increment(created.hash);
    }
    this.evictFromMain(this.evictFromWindow());
    this.notify();
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.unlink(entry);
    return true;
  }

  /** Removes every entry and forgets the frequency history (no eviction callbacks). */
  clear(): void {
    this.entries.clear();
    this.window.clear();
    this.probation.clear();
    this.protected.clear();
    this.totalSize = 0;
    this.windowSize = 0;
    this.protectedSize = 0;
    this.sketch.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Reorders an entry after a hit: most recent in its queue; a probation hit is promoted to protected. */
  private onAccess(entry: TinyLfuEntry<V>): void {
    if (entry.queue === WINDOW) {
      this.window.moveToTail(entry);
    } else if (entry.queue === PROTECTED) {
      this.protected.moveToTail(entry);
    } else {
      this.probation.remove(entry);
      this.protected.pushTail(entry);
      entry.queue = PROTECTED;
      this.protectedSize += entry.size;
      this.demoteFromProtected();
    }
  }

  /** Moves the least recent protected entries back to probation while protected is over its share. */
  private demoteFromProtected(): void {
    while (this.protected.length > this.protectedMaxEntries || this.protectedSize > this.protectedMaxSize) {
      const entry = this.protected.head;
      if (entry === null) return;
      this.protected.remove(entry);
      this.protectedSize -= entry.size;
      this.probation.pushTail(entry);
      entry.queue = PROBATION;
    }
  }

  /**
   * Moves the least recent window entries to the most recent end of probation while the window
   * is over its share. @returns the first one moved (the first admission candidate), or null.
   */
  private evictFromWindow(): TinyLfuEntry<V> | null {
    let first: TinyLfuEntry<V> | null = null;
    while (this.window.length > this.windowMaxEntries || this.windowSize > this.windowMaxSize) {
      const entry = this.window.head;
      if (entry === null) break;
      this.window.remove(entry);
      this.windowSize -= entry.size;
      this.probation.pushTail(entry);
      entry.queue = PROBATION;
      first ??= entry;
    }
    return first;
  }

  /**
   * While the map is over capacity, plays each candidate (the entries just moved out of the
   * window, then the window itself) against the victims at the least recent end of probation
   * (then protected, then the window), evicting the loser of each duel by estimated frequency.
   */
  private evictFromMain(first: TinyLfuEntry<V> | null): void {
    let candidate = first;
    let candidateQueue: Queue = PROBATION;
    let victim = this.probation.head;
    let victimQueue: Queue = PROBATION;
    while (this.entries.size > this.maxEntries || this.totalSize > this.maxSize) {
      if (candidate === null && candidateQueue === PROBATION) {
        candidate = this.window.head;
        candidateQueue = WINDOW;
      }
      if (candidate === null && victim === null) {
        if (victimQueue === PROBATION) {
          victim = this.protected.head;
          victimQueue = PROTECTED;
          continue;
        }
        if (victimQueue === PROTECTED) {
          victim = this.window.head;
          victimQueue = WINDOW;
          continue;
        }
        break;
      }
      if (victim === null) {
        const next: TinyLfuEntry<V> | null = candidate!.next;
        this.evict(candidate!);
        candidate = next;
      } else if (candidate === null) {
        const next: TinyLfuEntry<V> | null = victim.next;
        this.evict(victim);
        victim = next;
      } else if (candidate === victim) {
        victim = victim.next;
        this.evict(candidate);
        candidate = null;
      } else if (this.admit(candidate, victim)) {
        const next: TinyLfuEntry<V> | null = victim.next;
        this.evict(victim);
        victim = next;
        candidate = candidate.next;
      } else {
        const next: TinyLfuEntry<V> | null = candidate.next;
        this.evict(candidate);
        candidate = next;
      }
    }
  }

  /** Whether the candidate should replace the victim: strictly more frequent (or the hash-flooding lottery). */
  private admit(candidate: TinyLfuEntry<V>, victim: TinyLfuEntry<V>): boolean {
    const victimFrequency = this.sketch.frequency(victim.hash);
    const candidateFrequency = this.sketch.frequency(candidate.hash);
    if (candidateFrequency > victimFrequency) return true;
    if (candidateFrequency < ADMIT_HASHDOS_THRESHOLD) return false;
    // xorshift32: deterministic, so runs are reproducible.
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x;
    return (x & 127) === 0;
  }

  /** Removes an entry for room and queues its key for `onEvict`. */
  private evict(entry: TinyLfuEntry<V>): void {
    this.unlink(entry);
    this.evicted.push(entry.key);
  }

  /** Removes an entry from the map and from its queue. */
  private unlink(entry: TinyLfuEntry<V>): void {
    if (entry.queue === WINDOW) {
      this.window.remove(entry);
      this.windowSize -= entry.size;
    } else if (entry.queue === PROTECTED) {
      this.protected.remove(entry);
      this.protectedSize -= entry.size;
    } else {
      this.probation.remove(entry);
    }
    this.entries.delete(entry.key);
    this.totalSize -= entry.size;
  }

  /** Reports evictions once the map is consistent again (a callback may touch the map). */
  private notify(): void {
    if (this.evicted.length === 0) return;
    const keys = this.evicted;
    this.evicted = [];
    for (const key of keys) this.onEvict(key);
  }
}
