import type { CacheStore } from '../cache-store.js';
import type { Serializer } from '../serializer.js';
import type { InvalidateMode } from './invalidate.js';
import type { CacheHandle } from './cache-handle.js';
import type { ResilientReadOptions } from './resilient-reads.js';
import type { WriteBehindScheduler } from './write-behind-scheduler.js';

/** Where an error happened, as passed to the error hook. */
export interface ErrorContext {
  /** What was being done: `'read'`, `'write'`, `'invalidate'`, `'flush'`, `'key'`, ... */
  operation: string;
  /** `Class.method`, when a decorated method was involved. */
  method?: string;
  /** The full cache key, when one was involved. */
  key?: string;
  /**
   * Which step of the operation failed, when the operation alone would mislead: e.g.
   * `'write-through lease read'` (a write whose read of the key's generation failed),
   * `'write-behind release'`. Shown in the default warning after the method.
   */
  step?: string;
}

/** Where cachekit writes its warnings and recovery lines. `console` fits. */
export interface Logger {
  /** Failures a call survived (the default `onError`, at most once a minute per error code). */
  warn(message: string, ...meta: unknown[]): void;
  /** Recoveries (Redis, the breaker, version tracking, the bus back after an outage). @default `warn` when absent */
  info?(message: string, ...meta: unknown[]): void;
  error?(message: string, ...meta: unknown[]): void;
  debug?(message: string, ...meta: unknown[]): void;
}

/** Settings a runtime was built with, already resolved. */
export interface RuntimeSettings {
  store: CacheStore;
  stores: Record<string, CacheStore>;
  prefix: string;
  ttlMs: number;
  leaseMs: number;
  serializer: Serializer | undefined;
  logger: Logger;
  onError: ((error: unknown, context: ErrorContext) => void) | undefined;
  /**
   * The stores as the configuration passed them, each mapped to the one this runtime uses (the
   * same store, or a deadline wrapper around it). Tells a replaced runtime which stores its
   * successor still uses. @default the runtime's stores, as they are
   */
  sources?: ReadonlyMap<CacheStore, CacheStore>;
  /** The clock and timers of reads (grace, refresh-ahead, loader deadlines). @default Node's timers */
  scheduler?: WriteBehindScheduler;
  /** The runtime's resilient-read options, below @CacheDefaults and method options. @default none */
  reads?: ResilientReadOptions;
  /** Builds the handles of `runtime.cache()` (given by `configureCache`, which knows the read path). */
  cacheHandles?: <V>(runtime: never, namespace: string, store?: string) => CacheHandle<V>;
}

/** What `runtime.invalidate()` drops. */
export interface InvalidateTarget {
  /** Namespace of `keys`, or the namespace to drop with `allEntries`. */
  namespace?: string;
  /** Keys within the namespace (the key parts, as a key function returns them). */
  keys?: ReadonlyArray<string | number>;
  /** Drop the whole namespace. */
  allEntries?: boolean;
  /** Drop every entry carrying one of these tags. */
  tags?: readonly string[];
  /** `'expire'` makes the keys' entries stale (servable within their grace when a reload fails) instead of removing them; keys only. @default 'remove' */
  mode?: InvalidateMode;
  /** Name of a registered store. @default the default store */
  store?: string;
}
