/**
 * Every default of cachekit's options, in one place. The code reads its fallbacks from here; the
 * `@default` tags in src/options/ and the option tables of the README quote these values, and
 * test/defaults.test.ts fails when one of them says otherwise.
 *
 * Values are written the way a user would pass the option (a duration option as `'5m'`, a
 * millisecond option as a number), and go through the same parsing as a user's value. Defaults
 * that are behaviour rather than a value (a stable encoding of all arguments, the class's
 * namespace, real timers, `console`, MessagePack) stay in the doc comments of src/options/.
 * Every object here is frozen, nested ones included.
 */

/** Freezes `value` and every object inside it. */
function deepFreeze<T extends object>(value: T): Readonly<T> {
  for (const inner of Object.values(value)) if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  return Object.freeze(value);
}

/** Defaults of `configureCache` (options/configure-cache.ts). */
export const CONFIG_DEFAULTS = deepFreeze({
  /** No named stores. */
  stores: {} as Readonly<Record<string, never>>,
  /** First segment of every key. */
  prefix: 'cachekit',
  /** Default time to live of entries. */
  ttl: '5m',
  /** How long an invalidated key keeps its tombstone. */
  leaseTtl: '1m',
  /** Deadline of each operation on a store that enforces none itself. */
  storeTimeout: '1s',
} as const);

/** Defaults of the runtime's own behaviour (options/cache-runtime.ts). */
export const RUNTIME_DEFAULTS = deepFreeze({
  /** The default `onError` warns through the logger at most once per error code in this many ms. */
  errorWarningIntervalMs: 60_000,
} as const);

/** Defaults of `@Cacheable` (options/cacheable.ts). */
export const CACHEABLE_DEFAULTS = deepFreeze({
  /** No random lengthening of TTLs. */
  ttlJitter: 0,
  /** `null` and `undefined` results are stored. */
  cacheNull: true,
  /** No cross-process lock on a miss. */
  distributedLock: false,
} as const);

/** Defaults of `@CacheableMany` beyond those it shares with `@Cacheable` (options/cacheable-many.ts). */
export const CACHEABLE_MANY_DEFAULTS = deepFreeze({
  /** The decorated method returns an array aligned with the ids. */
  result: 'array',
} as const);

/** Defaults of the resilient-read options of `@Cacheable`, `@CacheableMany`, `@CacheDefaults` and `configureCache` (options/resilient-reads.ts). */
export const RESILIENT_READ_DEFAULTS = deepFreeze({
  /** No grace: an entry is gone at its TTL. */
  grace: 0,
  /** After a failed reload served a stale value, the key is served stale this long before the next reload. */
  graceBackoff: '5s',
  /** No soft deadline of the loader. */
  timeout: 0,
  /** No hard deadline of the loader. */
  hardTimeout: 0,
  /** No refresh-ahead. */
  refreshAhead: 0,
} as const);

/** Defaults of `@WriteThrough` (options/write-through.ts). */
export const WRITE_THROUGH_DEFAULTS = deepFreeze({
  /** A failed cache write after a successful method invalidates the key and resolves. */
  throwOnCacheError: false,
} as const);

/** Defaults of `@Invalidate` (options/invalidate.ts). */
export const INVALIDATE_DEFAULTS = deepFreeze({
  /** Drop keys, not the whole namespace. */
  allEntries: false,
  /** Drop only after the method succeeded. */
  when: 'after',
  /** Remove the entry (never served again), rather than expire it (servable within its grace when the reload fails). */
  mode: 'remove',
} as const);

/** Defaults of `@WriteBehind` (options/write-behind.ts). */
export const WRITE_BEHIND_DEFAULTS = deepFreeze({
  /** Flush when this many writes are ready, or this long after the first queued one. */
  batch: { size: 100, intervalMs: 1_000 },
  /** Method calls (or batches) running at once. */
  concurrency: 1,
  /** Retry with capped full-jitter backoff; outages are retried for as long as they last. */
  retry: { attempts: 5, backoffMs: 100, maxBackoffMs: 30_000, onOutage: 'retry' },
  /** Most writes held (after coalescing). */
  maxPending: 10_000,
  /** A write beyond `maxPending` waits for room. */
  backpressure: 'wait',
  /** No journal. */
  durable: false,
  /** The durable journal (its stream and claim interval are derived: see options/write-behind.ts). */
  journal: { group: 'cachekit', claimIdleMs: 30_000, leaseMs: 2_000 },
  /** No signal handlers. */
  drainOnSignal: false,
  /** With `drainOnSignal`: how long the drain may take before the process exits anyway. */
  drainTimeoutMs: 30_000,
  /** Deadline of journal commands on a store that has no `timeoutMs` of its own. */
  journalTimeoutMs: 500,
} as const);

/** Defaults of `MemoryStore` (options/memory-store.ts). */
export const MEMORY_STORE_DEFAULTS = deepFreeze({
  /** Most entries held. */
  maxEntries: 10_000,
  /** Most bytes held: unbounded. */
  maxBytes: Infinity,
  /** Least recently used eviction. */
  policy: 'lru',
  /** Name for stats and errors. */
  name: 'memory',
  /** Values are kept by reference. */
  copyOnRead: false,
} as const);

/** Defaults of `RedisStore` (options/redis-store.ts). */
export const REDIS_STORE_DEFAULTS = deepFreeze({
  /** Longest wait for one Redis operation, in ms. */
  timeoutMs: 500,
  /** Largest encoded entry stored: 8 MiB. */
  maxValueBytes: 8 * 1024 * 1024,
  /** Name for stats and errors. */
  name: 'redis',
  /** Namespace and tag versions kept in memory through client-side caching. */
  trackVersions: true,
  /** The scope `clear()` removes when the store was never attached nor written under a prefix. */
  scope: 'cachekit',
} as const);

/** Defaults of the circuit breaker of a Redis store (options/circuit-breaker.ts). */
export const CIRCUIT_BREAKER_DEFAULTS = deepFreeze({
  /** Consecutive failures that open the breaker. */
  failureThreshold: 5,
  /** How long the breaker stays open before a probe, in ms. */
  cooldownMs: 1_000,
} as const);

/** Defaults of `TieredStore` (options/tiered-store.ts). */
export const TIERED_STORE_DEFAULTS = deepFreeze({
  /** Longest life of an L1 copy. */
  l1Ttl: '30s',
  /** Most version counters mirrored in memory. */
  maxMirroredVersions: 10_000,
  /** Name for stats and errors. */
  name: 'tiered',
} as const);

/** Defaults of the invalidation bus of a `TieredStore` (options/invalidation-bus.ts). */
export const INVALIDATION_BUS_DEFAULTS = deepFreeze({
  /** The pub/sub channel every instance shares. */
  channel: 'cachekit:invalidation',
} as const);

/** Defaults of `ManualScheduler` (options/manual-scheduler.ts). */
export const MANUAL_SCHEDULER_DEFAULTS = deepFreeze({
  /** The starting time in ms. */
  now: 0,
} as const);
