/** The W-TinyLFU eviction policy of MemoryStore (see the class comment). */

import type { BoundedMapOptions } from './bounded-map.js';
import { CountMinSketch } from './count-min-sketch.js';
import { NO_SLOT, SlotList } from '../../structures/slot-list.js';
import { SlotMap } from './slot-map.js';

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

/**
 * W-TinyLFU eviction, as in Caffeine (Einziger, Friedman and Manes, "TinyLFU: A Highly
 * Efficient Cache Admission Policy"). Hand-written (lru-cache has no frequency-based mode), on
 * {@link SlotMap}: an entry's queue and key hash are kept by slot, in typed arrays.
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
 * old value under its key). `onEvict` is called for every entry evicted
 * for room, including a candidate refused by admission; not for delete, overwrite or clear.
 */
export class TinyLfuMap<V> extends SlotMap<V> {
  private readonly window: SlotList;
  private readonly probation: SlotList;
  private readonly protected: SlotList;
  /** Slot -> the queue it is in. */
  private queueOf: Uint8Array;
  /** Slot -> the hash of its key, for the sketch (computed once per entry). */
  private hashBySlot: Int32Array;
  private readonly sketch: CountMinSketch;
  private readonly windowMaxEntries: number;
  private readonly windowMaxSize: number;
  private readonly protectedMaxEntries: number;
  private readonly protectedMaxSize: number;
  private windowSize = 0;
  private protectedSize = 0;
  private random = 0x2545f491;

  constructor(options: BoundedMapOptions) {
    super(options);
    this.window = new SlotList(this.links);
    this.probation = new SlotList(this.links);
    this.protected = new SlotList(this.links);
    this.queueOf = new Uint8Array(this.capacity);
    this.hashBySlot = new Int32Array(this.capacity);
    this.windowMaxEntries = this.maxEntries - Math.floor(this.maxEntries * PERCENT_MAIN);
    this.protectedMaxEntries = Math.floor((this.maxEntries - this.windowMaxEntries) * PERCENT_MAIN_PROTECTED);
    if (this.sized) {
      this.windowMaxSize = this.maxSize - Math.floor(this.maxSize * PERCENT_MAIN);
      this.protectedMaxSize = Math.floor((this.maxSize - this.windowMaxSize) * PERCENT_MAIN_PROTECTED);
    } else {
      this.windowMaxSize = Infinity;
      this.protectedMaxSize = Infinity;
    }
    // Start small and grow with the number of entries held (see added).
    this.sketch = new CountMinSketch(Math.min(this.maxEntries, 256));
  }

  protected accessed(slot: number): void {
    // Reorder, then count: either order gives the same state (the sketch plays no part in a
    // reorder); this one makes a W-TinyLFU memory hit ~15% cheaper in CPU time (1,000 keys).
    this.onAccess(slot);
    this.sketch.increment(this.hashBySlot[slot]!);
  }

  protected added(slot: number, weight: number): void {
    const hash = this.hashAt(slot);
    this.hashBySlot[slot] = hash;
    this.queueOf[slot] = WINDOW;
    this.window.pushTail(slot);
    this.windowSize += weight;
    const width = this.sketch.width;
    if (this.size > width >>> 1 && width < this.maxEntries) {
      this.sketch.ensureCapacity(Math.min(this.maxEntries, width * 4));
    }
    this.sketch.increment(hash);
  }

  protected updated(slot: number, delta: number): void {
    const queue = this.queueOf[slot];
    if (queue === WINDOW) this.windowSize += delta;
    else if (queue === PROTECTED) this.protectedSize += delta;
    this.sketch.increment(this.hashBySlot[slot]!);
    this.onAccess(slot);
  }

  /** After every `put` (a new key or an overwrite): the window's overflow moves to probation, then main evicts while over the bounds. */
  protected evictForRoom(): void {
    this.evictFromMain(this.evictFromWindow());
  }

  /** Forgets the queues and the frequency history. */
  protected cleared(): void {
    this.window.clear();
    this.probation.clear();
    this.protected.clear();
    this.windowSize = 0;
    this.protectedSize = 0;
    this.sketch.clear();
  }

  protected override grow(capacity: number): void {
    super.grow(capacity);
    const queueOf = new Uint8Array(capacity);
    queueOf.set(this.queueOf);
    this.queueOf = queueOf;
    const hashOf = new Int32Array(capacity);
    hashOf.set(this.hashBySlot);
    this.hashBySlot = hashOf;
  }

  /** Reorders an entry after a hit: most recent in its queue; a probation hit is promoted to protected. */
  private onAccess(slot: number): void {
    const queue = this.queueOf[slot];
    if (queue === WINDOW) {
      this.window.moveToTail(slot);
    } else if (queue === PROTECTED) {
      this.protected.moveToTail(slot);
    } else {
      this.probation.moveTo(slot, this.protected);
      this.queueOf[slot] = PROTECTED;
      this.protectedSize += this.weightAt(slot);
      this.demoteFromProtected();
    }
  }

  /** Moves the least recent protected entries back to probation while protected is over its share. */
  private demoteFromProtected(): void {
    while (this.protected.length > this.protectedMaxEntries || this.protectedSize > this.protectedMaxSize) {
      const slot = this.protected.head;
      if (slot === NO_SLOT) return;
      this.protected.moveTo(slot, this.probation);
      this.protectedSize -= this.weightAt(slot);
      this.queueOf[slot] = PROBATION;
    }
  }

  /**
   * Moves the least recent window entries to the most recent end of probation while the window
   * is over its share. @returns the first one moved (the first admission candidate), or NO_SLOT.
   */
  private evictFromWindow(): number {
    let first = NO_SLOT;
    while (this.window.length > this.windowMaxEntries || this.windowSize > this.windowMaxSize) {
      const slot = this.window.head;
      if (slot === NO_SLOT) break;
      this.window.moveTo(slot, this.probation);
      this.windowSize -= this.weightAt(slot);
      this.queueOf[slot] = PROBATION;
      if (first === NO_SLOT) first = slot;
    }
    return first;
  }

  /**
   * While the map is over capacity, plays each candidate (the entries just moved out of the
   * window, then the window itself) against the victims at the least recent end of probation
   * (then protected, then the window), evicting the loser of each duel by estimated frequency.
   */
  private evictFromMain(first: number): void {
    let candidate = first;
    let candidateQueue: Queue = PROBATION;
    let victim = this.probation.head;
    let victimQueue: Queue = PROBATION;
    while (this.size > this.maxEntries || this.totalSize > this.maxSize) {
      if (candidate === NO_SLOT && candidateQueue === PROBATION) {
        candidate = this.window.head;
        candidateQueue = WINDOW;
      }
      if (candidate === NO_SLOT && victim === NO_SLOT) {
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
      if (victim === NO_SLOT) {
        const next = this.links.next[candidate]!;
        this.evict(candidate);
        candidate = next;
      } else if (candidate === NO_SLOT) {
        const next = this.links.next[victim]!;
        this.evict(victim);
        victim = next;
      } else if (candidate === victim) {
        victim = this.links.next[victim]!;
        this.evict(candidate);
        candidate = NO_SLOT;
      } else if (this.admit(candidate, victim)) {
        const next = this.links.next[victim]!;
        this.evict(victim);
        victim = next;
        candidate = this.links.next[candidate]!;
      } else {
        const next = this.links.next[candidate]!;
        this.evict(candidate);
        candidate = next;
      }
    }
  }

  /** Whether the candidate should replace the victim: strictly more frequent (or the hash-flooding lottery). */
  private admit(candidate: number, victim: number): boolean {
    const victimFrequency = this.sketch.frequency(this.hashBySlot[victim]!);
    const candidateFrequency = this.sketch.frequency(this.hashBySlot[candidate]!);
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

  /** Removes an entry from its queue (the map frees its slot). */
  protected removed(slot: number): void {
    const queue = this.queueOf[slot];
    if (queue === WINDOW) {
      this.window.remove(slot);
      this.windowSize -= this.weightAt(slot);
    } else if (queue === PROTECTED) {
      this.protected.remove(slot);
      this.protectedSize -= this.weightAt(slot);
    } else {
      this.probation.remove(slot);
    }
  }
}
