import { hashText } from '../../key-parts.js';

/**
 * A count-min sketch of 4-bit counters that estimates how often each key was seen recently,
 * for W-TinyLFU's admission (after Caffeine's `FrequencySketch`, re-derived here; no code copied).
 *
 * - Counters are 4 bits (0..15), eight to a 32-bit word. A key maps to four counters, one in
 *   each quarter of a 64-byte block chosen by its hash, so a key touches one block only.
 * - {@link increment} raises the key's four counters (each saturates at 15); {@link frequency}
 *   returns the smallest, which over-estimates only through hash collisions.
 * - Aging: after `10 * capacity` increments every counter is halved, so the sketch follows
 *   changes in popularity ("reset" in the TinyLFU paper). The cost is O(width), once per
 *   `10 * capacity` increments: O(1) amortized.
 *
 * Keys are hashed once by the caller ({@link hashKey}) so a map can remember the hash of
 * each entry. The width grows with {@link ensureCapacity} (losing the counts so far), so a
 * map with a large `maxEntries` that holds few entries keeps a small sketch.
 */
export class CountMinSketch {
  private table: Uint32Array;
  private blockMask: number;
  private sampleSize: number;
  private additions = 0;
  private capacity = 0;

  /** @param capacity number of distinct keys to track (the cache's maximum entries) */
  constructor(capacity: number) {
    this.table = new Uint32Array(0);
    this.blockMask = 0;
    this.sampleSize = 0;
    this.ensureCapacity(capacity);
  }

  /** The capacity the sketch is currently sized for. */
  get width(): number {
    return this.capacity;
  }

  /** Increments since the last halving (those that raised at least one counter). */
  get sampled(): number {
    return this.additions;
  }

  /** Number of increments after which every counter is halved. */
  get resetPeriod(): number {
    return this.sampleSize;
  }

  /**
   * Resizes the table for `capacity` keys if it is smaller (16 counters per key, rounded up to
   * a power of two, at least one 64-byte block). Resizing forgets every count.
   */
  ensureCapacity(capacity: number): void {
    const wanted = Math.max(1, Math.min(Math.floor(capacity), 1 << 26));
    if (wanted <= this.capacity) return;
    this.capacity = wanted;
    // 16 counters per key = two 32-bit words; blocks of 16 words (64 bytes).
    const words = Math.max(16, ceilPowerOfTwo(wanted) * 2);
    this.table = new Uint32Array(words);
    this.blockMask = (words >>> 4) - 1;
    this.sampleSize = 10 * wanted;
    this.additions = 0;
  }

  /** The estimated number of recent occurrences of the key with hash `hash` (0..15). */
  frequency(hash: number): number {
    const block = (spread(hash) & this.blockMask) << 4;
    const counterHash = rehash(hash);
    let min = 15;
    for (let row = 0; row < 4; row++) {
      const h = counterHash >>> (row << 3);
      const word = block + (row << 2) + (h & 3);
      const shift = ((h >>> 2) & 7) << 2;
      const count = (this.table[word]! >>> shift) & 15;
      if (count < min) min = count;
    }
    return min;
  }

  /** Records one occurrence of the key with hash `hash`; halves all counters when the sample is full. */
  increment(hash: number): void {
    const block = (spread(hash) & this.blockMask) << 4;
    const counterHash = rehash(hash);
    let added = false;
    for (let row = 0; row < 4; row++) {
      const h = counterHash >>> (row << 3);
      const word = block + (row << 2) + (h & 3);
      const shift = ((h >>> 2) & 7) << 2;
      const value = this.table[word]!;
      if (((value >>> shift) & 15) !== 15) {
        this.table[word] = value + (1 << shift);
        added = true;
      }
    }
    if (added && ++this.additions >= this.sampleSize) this.halve();
  }

  /** Forgets every count. */
  clear(): void {
    this.table.fill(0);
    this.additions = 0;
  }

  /**
   * Halves every counter (the aging step). The sample count drops by half too, less a
   * correction for the odd counters whose lost half-unit we cannot attribute.
   */
  halve(): void {
    let odd = 0;
    const table = this.table;
    for (let i = 0; i < table.length; i++) {
      const value = table[i]!;
      odd += bitCount(value & 0x11111111);
      table[i] = (value >>> 1) & 0x77777777;
    }
    this.additions = Math.max(0, this.additions - (odd >>> 2)) >>> 1;
  }
}

// A module-level alias: each `Math.imul` would otherwise be a global lookup, which is slow in
// sandboxed contexts such as Jest's.
const imul = Math.imul;

/** A 32-bit hash of a string key (FNV-1a over UTF-16 code units); computed once per entry. */
export function hashKey(key: string): number {
  return hashText(0x811c9dc5, key);
}

/** Mixes the key hash to choose the block (murmur3's 32-bit finalizer). */
function spread(x: number): number {
  x ^= x >>> 16;
  x = imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A second, independent mix whose four bytes pick the counter in each row. */
function rehash(x: number): number {
  x = imul(x ^ 0x9e3779b9, 0x31848bab);
  x ^= x >>> 14;
  x = imul(x, 0x2c1b3c6d);
  return (x ^ (x >>> 15)) >>> 0;
}

function ceilPowerOfTwo(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

function bitCount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}
