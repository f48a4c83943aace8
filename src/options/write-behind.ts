import type { Duration } from '../duration.js';
import type { KeyOption } from './key.js';
import type { WriteBehindScheduler } from './write-behind-scheduler.js';

/**
 * What failures during a database outage do: `'retry'` retries them (capped backoff) for as long
 * as the outage lasts, and only poison writes are dead-lettered; `'dead-letter'` counts every
 * failure toward `retry.attempts`, outage or not.
 */
export type OutagePolicy = 'retry' | 'dead-letter';

/** What a full write-behind queue does with one more write. */
export type BackpressurePolicy = 'wait' | 'flush' | 'reject';

/** An item handed to the dead-letter handler after its last failed attempt. */
export interface DeadLetter {
  /** `Class.method` of the write. */
  method: string;
  /** The full cache key of the write. */
  key: string;
  /** The arguments the method was (last) called with. */
  args: unknown[];
  /** How many attempts were made. */
  attempts: number;
  /** The error of the last attempt. */
  error: unknown;
}

/** Options of `@WriteBehind`. See docs/decorators/write-behind.md. */
export interface WriteBehindOptions<A extends any[] = any[]> {
  /** Key of the entry (same meaning as on @Cacheable). @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's `@CacheDefaults` namespace, else `ClassName.methodName` */
  namespace?: string;
  /**
   * Time to live of the cached value, counted from the call. While the write is queued, reads
   * in this process see the queued value whatever the TTL (read-your-writes).
   * @default the runtime's `ttl`
   */
  ttl?: Duration;
  /** The value cached at once (and, with `merge`, combined). @default the argument at `valueArg` */
  value?: (...args: any[]) => unknown;
  /** Index of the argument that carries the value: a merged value is passed to the method there. @default the last argument */
  valueArg?: number;
  /** Combines a queued value of the key with a newer one (e.g. `(a, b) => a + b` for counters). @default the newer wins */
  merge?: (previous: any, next: any) => unknown;
  /** Flush a batch when it holds `size` items or `intervalMs` has passed since its first item. @default { size: 100, intervalMs: 1000 } */
  batch?: { size?: number; intervalMs?: number };
  /** Name of a method of the same class that takes an array of argument lists and writes them at once (one transaction). @default none: the method is called per item */
  batchWith?: string;
  /** Most batches (or single items) written at once. @default 1 */
  concurrency?: number;
  /**
   * Retries of a failed write: exponential backoff with full jitter, `backoffMs` doubling up to
   * `maxBackoffMs`. Only poison failures count toward `attempts`: a failure counts when a write of
   * other keys, started after the write's previous failure, succeeded. While every recent attempt
   * fails (the database is down), and while the write fails with nothing else succeeding between its
   * attempts, nothing counts, and writes are retried every `maxBackoffMs` at most for as long as it
   * lasts (`onOutage: 'retry'`). `onOutage: 'dead-letter'` counts every
   * failure (the old rule: an outage longer than the attempts dead-letters every write). See
   * docs/decorators/write-behind.md#outage-or-poison.
   * @default { attempts: 5, backoffMs: 100, maxBackoffMs: 30000, onOutage: 'retry' }
   */
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number; onOutage?: OutagePolicy };
  /** Receives a write that failed every attempt. @default none: it is reported through the error hook */
  deadLetter?: (item: DeadLetter) => void | Promise<void>;
  /** Most writes queued (after coalescing). @default 10000 */
  maxPending?: number;
  /** What a write does when `maxPending` writes are queued. @default 'wait' */
  backpressure?: BackpressurePolicy;
  /**
   * Journal every write in a Redis Stream before the call resolves and replay it after a crash
   * (needs a store with a Redis `client`: RedisStore or TieredStore; otherwise the first call
   * rejects with a DecoratorUsageError). Delivery is at least once: the method must be idempotent.
   * @default false
   */
  durable?: boolean;
  /** Settings of the durable journal (with `durable: true`). @default see {@link WriteBehindJournalOptions} */
  journal?: WriteBehindJournalOptions;
  /** Name of a registered store. @default the default store */
  store?: string;
  /**
   * The timers and clock of the flusher (batch interval, retry backoff, journal polling) and the
   * jitter source. Inject a `ManualScheduler` in tests to decide exactly when flushes happen.
   * Without one, the flusher uses the runtime's `configureCache({ scheduler })`, so one clock
   * drives reads and flushes (as `createTestCache()` of `cachekit/testing` sets it up).
   * @default the runtime's scheduler; real timers, `Date.now`, `Math.random` when it has none
   */
  scheduler?: WriteBehindScheduler;
  /**
   * Install SIGTERM/SIGINT handlers (or the `signals` given) that drain the queue before the
   * process exits: they close the runtime (flush, then release timers and connections) and
   * re-raise the signal, unless the application has its own handler for it. `timeoutMs` bounds
   * the drain; writes still queued after it are lost in memory mode (durable mode replays them).
   * @default false
   */
  drainOnSignal?: boolean | { signals?: NodeJS.Signals[]; timeoutMs?: number };
}

/** Settings of the Redis Stream journal of a durable `@WriteBehind` method. See docs/decorators/write-behind.md#durable-mode-delivery-at-least-once. */
export interface WriteBehindJournalOptions {
  /**
   * The stream key (its liveness, recovery lease and newest-write records use it as a prefix).
   * @default `<prefix>#wb:{Class.method}`, or `<prefix>#wb:{<namespace>/Class.method}` with an
   * explicit `namespace` (here or in @CacheDefaults); one hash slot on Redis Cluster
   */
  stream?: string;
  /** The consumer group every instance joins. @default 'cachekit' */
  group?: string;
  /**
   * How long an entry of another consumer must go unacknowledged before this process claims and
   * replays it (XAUTOCLAIM). Live processes refresh their own entries, so only a crashed (or
   * unreachable) process's entries reach it. Longer than your longest Redis outage.
   * @default 30000
   */
  claimIdleMs?: number;
  /**
   * How often this process looks for entries to claim (those of dead consumers, and those idle
   * for `claimIdleMs`). @default min(claimIdleMs / 3, leaseMs / 2)
   */
  claimIntervalMs?: number;
  /**
   * Liveness: every process refreshes a record that it is alive for `leaseMs`, every `leaseMs / 4`.
   * The entries of a consumer whose process is gone are taken over at once, without waiting for
   * `claimIdleMs`: on the same host when its pid no longer runs; from another host once its
   * liveness ran out. @default 2000
   */
  leaseMs?: number;
}
