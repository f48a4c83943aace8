/**
 * Error classes thrown or reported by cachekit. Each has a stable `code` that
 * does not change between versions, and keeps the underlying error as `cause`.
 */

/** Base class of every cachekit error. */
export class CacheKitError extends Error {
  /** Stable machine-readable code, e.g. `E_KEY_BUILD`. */
  readonly code: string = 'E_CACHEKIT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A key could not be built: the key function threw or returned a non-string, or an argument cannot be encoded (circular, function, symbol). */
export class KeyBuildError extends CacheKitError {
  override readonly code = 'E_KEY_BUILD';
}

/** A store operation failed (connection lost, command error). Reported through the error hook; the call falls back to the method. */
export class StoreError extends CacheKitError {
  override readonly code: string = 'E_STORE';
}

/** A store operation did not answer within its timeout. */
export class StoreTimeoutError extends StoreError {
  override readonly code = 'E_STORE_TIMEOUT';
}

/** The circuit breaker of a store is open: the store is skipped until the next probe. */
export class CircuitOpenError extends StoreError {
  override readonly code = 'E_CIRCUIT_OPEN';
}

/** A value too big for its store (`maxValueBytes` on RedisStore, `maxBytes` on MemoryStore) was not cached. */
export class ValueTooLargeError extends StoreError {
  override readonly code = 'E_VALUE_TOO_LARGE';
}

/** Bytes read from a store could not be decoded; the entry is treated as a miss. */
export class SerializationError extends CacheKitError {
  override readonly code = 'E_SERIALIZATION';
}

/** A decorator was applied where it cannot work (field, getter, conflicting decorators). */
export class DecoratorUsageError extends CacheKitError {
  override readonly code = 'E_DECORATOR_USAGE';
}

/** A decorator or store names a store that `configureCache` did not register. */
export class UnknownStoreError extends CacheKitError {
  override readonly code = 'E_UNKNOWN_STORE';
}

/** `@WriteThrough` with `throwOnCacheError: true`: the method succeeded but the cache write failed. */
export class CacheWriteError extends CacheKitError {
  override readonly code = 'E_CACHE_WRITE';
}

/** `@WriteBehind` with `backpressure: 'reject'`: the queue holds `maxPending` writes already. */
export class QueueFullError extends CacheKitError {
  override readonly code = 'E_QUEUE_FULL';
}

/** A write-behind write was called after `runtime.close()`. */
export class RuntimeClosedError extends CacheKitError {
  override readonly code = 'E_RUNTIME_CLOSED';
}

/** A write-behind item failed every attempt and was handed to the dead-letter handler. */
export class WriteBehindFailedError extends CacheKitError {
  override readonly code = 'E_WRITE_BEHIND_FAILED';
}

/**
 * A cached method (the loader) did not settle within its `hardTimeout` and no stale value was
 * there to serve. The loader keeps running; its result is stored under the lease when it arrives.
 */
export class LoaderTimeoutError extends CacheKitError {
  override readonly code = 'E_LOADER_TIMEOUT';
}

/** Every error class by name, for `instanceof` checks without deep imports. */
export const errors = {
  CacheKitError,
  KeyBuildError,
  StoreError,
  StoreTimeoutError,
  CircuitOpenError,
  ValueTooLargeError,
  SerializationError,
  DecoratorUsageError,
  UnknownStoreError,
  CacheWriteError,
  QueueFullError,
  RuntimeClosedError,
  WriteBehindFailedError,
  LoaderTimeoutError,
} as const;
