/**
 * A map bounded by entry count and by total size, evicting by some policy when full.
 * MemoryStore keeps its records in one; each eviction policy is one implementation.
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
}

/** Limits and the eviction callback handed to a policy. */
export interface BoundedMapOptions {
  /** Most entries held. */
  maxEntries: number;
  /** Most total size (sum of `size` passed to set); Infinity for no limit. */
  maxSize: number;
  /** Called with the key of every entry evicted for room (not for delete, overwrite or clear). */
  onEvict(key: string): void;
}

/** The weight an entry counts for: its size (at least 1) when the map is bounded by size, else 1. */
export function weightOf(size: number, sized: boolean): number {
  return sized && size > 1 ? size : 1;
}

/**
 * The weight `set` stores a value with, or undefined when the value alone is heavier than
 * `maxSize`: it is not cached, and the key's older entry is removed so no stale one stays.
 */
export function admittedWeight(map: BoundedMap<unknown>, key: string, size: number, sized: boolean, maxSize: number): number | undefined {
  const weight = weightOf(size, sized);
  if (weight <= maxSize) return weight;
  map.delete(key);
  return undefined;
}
