/**
 * Shares one in-flight promise per key: concurrent misses of a key run the method once and
 * every caller gets the same result or the same error. The entry is dropped when the
 * promise settles, so nothing accumulates and a failure is never kept.
 */
export class SingleFlight {
  private readonly inFlight = new Map<string, Promise<unknown>>();

  /** The promise in flight for key, if any. */
  get(key: string): Promise<unknown> | undefined {
    return this.inFlight.get(key);
  }

  /** Runs `work` unless a call for `key` is in flight, in which case its promise is returned. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.inFlight.get(key);
    if (existing !== undefined) return existing as Promise<T>;
    const promise = work();
    this.inFlight.set(key, promise);
    const clear = () => {
      if (this.inFlight.get(key) === promise) this.inFlight.delete(key);
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Number of keys in flight (0 once every call settled). */
  get size(): number {
    return this.inFlight.size;
  }
}
