import type { KeyPartKind } from '../../key-parts.js';
import type { PartIndex } from './key-index.js';

/**
 * A map bounded by entry count and by total size, evicting by some policy when full.
 * MemoryStore keeps its records in one; each eviction policy is one implementation (all on
 * {@link SlotMap}: every key has a numbered slot, so the store can keep an entry's other fields
 * in typed arrays by slot, with no object per entry).
 */
export interface BoundedMap<V> {
  /** The value under `key`, counting it as an access for the policy; undefined if absent. */
  get(key: string): V | undefined;
  /** Stores `value` with its `size` (in the unit of `maxSize`), evicting others if needed. May refuse (drop) the new entry if the policy's admission says so. */
  set(key: string, value: V, size: number): void;
  /** Removes `key`. @returns true if it was present. */
  delete(key: string): boolean;
  /** Removes everything (no eviction callbacks). */
  clear(): void;
  /** Number of entries held. */
  readonly size: number;

  /**
   * The slot of `key`, counting it as an access for the policy; -1 if absent.
   * @param at where `key` was put before ({@link put}'s slot), looked at first: no lookup when it still holds the key
   */
  slotOf(key: string, at?: number): number;
  /** The value in a slot returned by {@link slotOf} or {@link put}. */
  valueAt(slot: number): V;
  /**
   * {@link set} in two steps, for a caller that keeps more fields by slot: `put` stores the value
   * (an overwrite counts as an access) and returns its slot without evicting anything, so the
   * caller can fill its own fields of the slot; then {@link evictOverflow} evicts what no longer
   * fits (possibly the new entry itself, under W-TinyLFU's admission).
   * @returns the slot, or -1 when `size` alone exceeds `maxSize` (the key's older entry is removed)
   */
  put(key: string, value: V, size: number): number;
  /** Evicts until both bounds hold again, then reports the evictions (see `onEvict`). */
  evictOverflow(): void;
  /** The entries of one scope and kind of key part (see `stores/key-parts.ts`), addressed by part. */
  partIndex(scope: string, kind: KeyPartKind): PartIndex;
  /** {@link slotOf} the key of `part` in `index`. */
  slotIn(index: PartIndex, part: string | number): number;
  /** {@link put} under the key of `part` in `index` (kept as the part itself: no key string). */
  putIn(index: PartIndex, part: string | number, value: V, size: number): number;
  /** {@link put} into a slot in use, whatever its key (one lookup less when the caller found the slot). @returns the slot, or NO_SLOT when the value is too big to hold (the slot is freed then) */
  putAt(slot: number, value: V, size: number): number;
  /** Removes the entry in a slot in use. */
  deleteSlot(slot: number): void;
  /** The key of a slot in use (built from its scope and part). */
  keyAt(slot: number): string;
  /** The hash of the key of a slot in use: `hashPart` of `stores/key-parts.ts`, equal to {@link hashOf} of the key. */
  hashAt(slot: number): number;
  /** The hash of a key (whether held or not). */
  hashOf(key: string): number;
  /** Slots in use or free: every slot returned is below it. Grows with the entries held, up to `maxEntries + 1`. */
  readonly capacity: number;
}

/** Limits and the eviction callback handed to a policy. */
export interface BoundedMapOptions {
  /** Most entries held. */
  maxEntries: number;
  /** Most total size (sum of `size` passed to set); Infinity for no limit. */
  maxSize: number;
  /**
   * Called with the key of every entry evicted for room (not for delete, overwrite or clear),
   * and its hash ({@link BoundedMap.hashOf}), once the map is consistent again (it may use the map).
   */
  onEvict(key: string, hash: number): void;
}

/** The weight an entry counts for: its size (at least 1) when the map is bounded by size, else 1. */
export function weightOf(size: number, sized: boolean): number {
  return sized && size > 1 ? size : 1;
}
