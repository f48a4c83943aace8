/** What a key without a record reads as in a MemoryStore (see the class comment). */

import { newGeneration } from '../generation.js';

/** Fewest and most buckets (powers of two): at most 512 KiB, allocated on the first removal. */
const MIN_BUCKETS = 1024;
const MAX_BUCKETS = 65536;

/**
 * What a key without a record reads as in a {@link MemoryStore}, so that a lease taken before
 * a record left without a write (evicted for room, refused by admission, too big, expired,
 * deleted) cannot populate the key afterwards with an older value.
 *
 * The newer entry or tombstone that replaced the old value may itself be evicted while a slow
 * miss that read "no entry" is still running; without a trace, its populate (expecting no
 * entry) would find none and store the old row. Keeping the generations of removed keys
 * would grow without bound, so keys are hashed into a fixed number of buckets (the next power
 * of two of `maxEntries`, within 1024..65536), each holding the generation of its last removal.
 * A key with no record reads as a tombstone of its bucket's generation (or no entry while its
 * bucket never lost a record and the store was never cleared), and a populate must expect
 * exactly that. Another key of the same bucket removed during a miss makes that miss's
 * populate give up (a miss not cached): with B buckets, about `removals during the miss / B`
 * of misses under churn.
 */
export class AbsentGenerations {
  private buckets: Float64Array | undefined;
  private readonly count: number;
  /** The generation of the last clear (0: never cleared): every bucket without a removal since reads as it. */
  private cleared = 0;

  constructor(maxEntries: number) {
    let count = MIN_BUCKETS;
    while (count < maxEntries && count < MAX_BUCKETS) count *= 2;
    this.count = count;
  }

  /** Whether no record ever left without a write (every key without a record reads as no entry). */
  get untouched(): boolean {
    return this.buckets === undefined && this.cleared === 0;
  }

  /** The generation a key with hash `hash` (`BoundedMap.hashOf`) reads as while it has no record, or undefined (it reads as no entry). */
  of(hash: number): number | undefined {
    const buckets = this.buckets;
    const g = buckets === undefined ? 0 : buckets[hash & (this.count - 1)]!;
    return g !== 0 ? g : this.cleared !== 0 ? this.cleared : undefined;
  }

  /** The record of the key with hash `hash` left without a write: leases taken before it must not populate. */
  removed(hash: number): void {
    const buckets = (this.buckets ??= new Float64Array(this.count));
    buckets[hash & (this.count - 1)] = newGeneration() || 1;
  }

  /** Every record left (clear). */
  clear(): void {
    this.buckets?.fill(0);
    this.cleared = newGeneration() || 1;
  }
}
