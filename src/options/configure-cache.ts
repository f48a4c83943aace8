import type { CacheStore } from '../cache-store.js';
import type { Duration } from '../duration.js';
import type { Serializer } from '../serializer.js';
import type { ClassesOption } from '../value-classes.js';
import type { ErrorContext, Logger } from './cache-runtime.js';
import type { ResilientReadOptions } from './resilient-reads.js';
import type { WriteBehindScheduler } from './write-behind-scheduler.js';

/** Options of `configureCache`. See docs/configuration.md. */
export interface CacheConfig extends ResilientReadOptions {
  /** The default store. @default new MemoryStore() (10,000 entries, LRU) */
  store?: CacheStore;
  /** Named stores, chosen per method with the `store` option. @default {} */
  stores?: Record<string, CacheStore>;
  /** Prefix of every key, so several applications can share one Redis. @default 'cachekit' */
  prefix?: string;
  /** Default time to live: milliseconds or a string like `'5m'`; 0 for no expiry. @default '5m' */
  ttl?: Duration;
  /** How long an invalidated key keeps its tombstone, so a miss still in flight cannot store an older value. Longer than your slowest method. See docs/consistency.md#how-the-lease-prevents-it. @default '1m' */
  leaseTtl?: Duration;
  /** Deadline of each operation on a store that does not enforce its own (custom stores); 0 for none. @default '1s' */
  storeTimeout?: Duration;
  /** Serializer for stores that keep bytes (Redis) and were not given their own. @default MessagePack (msgpackr) */
  serializer?: Serializer;
  /** Where warnings go. @default console */
  logger?: Logger;
  /**
   * Classes whose instances come back as instances from every store (`[Order]`, or `{ Order }`
   * to fix the name a minifier could change). Registered for the process. @default none
   */
  classes?: ClassesOption;
  /** Called with every failure the call survived (store down, corrupt entry, failed flush). @default a warning through `logger`, at most once a minute per error code */
  onError?: (error: unknown, context: ErrorContext) => void;
  /**
   * The clock and timers of reads: stale-after and refresh-after times of entries (`grace`,
   * `refreshAhead`), loader deadlines (`timeout`, `hardTimeout`) and `graceBackoff`; also the
   * batch timers and retry backoff of every `@WriteBehind` without a `scheduler` of its own. A
   * `ManualScheduler` makes them testable without waiting. @default Node's timers and `Date.now()`
   */
  scheduler?: WriteBehindScheduler;
}
