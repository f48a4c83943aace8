/** A source of time in milliseconds. Inject one to test TTLs without sleeping. */
export interface Clock {
  now(): number;
}

/** The eviction policies MemoryStore offers. */
export type EvictionPolicy = 'lru' | 'lfu' | 'tinylfu';

/** Options of `MemoryStore`. See docs/stores/memory-store.md. */
export interface MemoryStoreOptions {
  /** Most entries held; the policy evicts beyond it. @default 10_000 */
  maxEntries?: number;
  /**
   * Most total bytes held (estimated by `sizeOf`); the policy evicts beyond it. A value bigger
   * than this on its own is not cached (the key's older entry goes too): reported once as a
   * `ValueTooLargeError`, each one counted in `MemoryStore.oversizedValues`. @default Infinity
   */
  maxBytes?: number;
  /** Eviction policy: least recently used, least frequently used, or W-TinyLFU. See docs/stores/memory-store.md#eviction-policies-policy. @default 'lru' */
  policy?: EvictionPolicy;
  /** Estimates the size in bytes of a value, for `maxBytes`. @default a walk of the value's strings and fields */
  sizeOf?: (value: unknown) => number;
  /** Source of time for TTLs. @default a coarse clock: `Date.now()` read at most once a millisecond */
  clock?: Clock;
  /** A name for stats and errors. @default 'memory' */
  name?: string;
  /**
   * Deep-copy values when they are written and on every read, so no two callers share (or
   * mutate) one cached object; class instances keep their class. Without it a hit returns the
   * very object the miss returned, to every caller. @default false
   */
  copyOnRead?: boolean;
}
