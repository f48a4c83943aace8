import type { RecoveryKind } from '../cache-store.js';

/** A store operation the runtime times (see the `store` event): the `CacheStore` method it called (a synchronous `readSync` is not timed). */
export type StoreOperation =
  | 'read'
  | 'readMany'
  | 'readVersions'
  | 'write'
  | 'writeIf'
  | 'writeTombstone'
  | 'delete'
  | 'bump'
  | 'clear'
  | 'acquireLock'
  | 'releaseLock';

/** The events a runtime emits, with their payloads. */
export interface CacheEvents {
  /** A read was answered from the cache. */
  hit: { method: string; key: string; store: string };
  /** A read missed and ran the method. */
  miss: { method: string; key: string; store: string };
  /**
   * A stale value was served within its grace: `reason` says why (the reload failed, passed its
   * `timeout` or `hardTimeout`, or the key is backing off after a failed reload: `graceBackoff`).
   */
  stale: { method: string; key: string; store: string; reason: 'error' | 'timeout' | 'backoff'; error?: unknown };
  /**
   * A read skipped the cache and ran the method, storing nothing: its `condition` was false, it ran
   * inside `runtime.bypass()` (or with caching disabled for the process), or an invalidation of the
   * key is not confirmed yet. `key` is absent when the key was not built (a false `condition`).
   */
  bypass: { method: string; key?: string; reason: 'condition' | 'scope' | 'unconfirmed' };
  /**
   * A loader settled: the decorated method run by a miss, a refresh(-ahead) or a batch
   * (`keys` ids). Its duration in ms (wall clock) and whether it returned or threw; `background`
   * when no caller waited for it (a refresh-ahead reload, started by a hit). Emitted where the
   * loader was started (in its async context). Labels only: never the key or the value. Measured
   * only while someone listens.
   */
  load: { method: string; namespace: string; store: string; keys: number; background: boolean; durationMs: number; outcome: 'ok' | 'error' };
  /**
   * A store operation the runtime called settled: which store, which operation, how long it took
   * (ms, wall clock) and whether it succeeded, failed or passed its deadline (`timeout`: a
   * StoreTimeoutError). A synchronous read (`readSync`: a MemoryStore's reads, a TieredStore's L1
   * hits) does no I/O and is not timed. Labels only: never a key or a value. Measured only while
   * someone listens.
   */
  store: { store: string; operation: StoreOperation; outcome: 'ok' | 'error' | 'timeout'; durationMs: number };
  /** Refresh-ahead started a background reload of a key. */
  refresh: { method: string; key: string; store: string };
  /** An entry was written. */
  set: { method: string; key: string; store: string };
  /** A memory store evicted an entry for room. */
  evict: { key: string; store: string };
  /** Keys, a namespace or tags were invalidated. */
  invalidate: { method: string; keys: string[]; namespaces: string[]; tags: string[] };
  /** Something failed; the call itself fell back or failed with a named error. */
  error: { error: unknown; method?: string; key?: string; operation: string };
  /**
   * Write-behind: a batch of writes (`items` keys) reached the method. `durationMs`: from when
   * the flusher took the batch up to now (the method call and the cache entries put right).
   * `origins`: what `runtime.captureOrigins()` captured when each write of the batch was
   * accepted (a tracer's span context), in order, at most 32; empty when nothing captures.
   */
  flush: { method: string; items: number; durationMs: number; origins: readonly unknown[] };
  /** Write-behind: an attempt failed and will be retried. */
  retry: { method: string; key: string; attempt: number; error: unknown };
  /** Write-behind: an item failed every attempt and went to the dead-letter handler. */
  deadLetter: { method: string; key: string; error: unknown };
  /**
   * A store's dependency works again after an outage (one per outage): its Redis connection,
   * circuit breaker, version tracking or invalidation bus, and how long it was down.
   */
  recover: { store: string; what: RecoveryKind; downMs: number };
}

/** An event name. */
export type CacheEventName = keyof CacheEvents;

/** A minimal typed event emitter; emitting with no listener costs one array length check. */
export class CacheEventEmitter {
  private readonly listeners: { [E in CacheEventName]: Array<(payload: CacheEvents[E]) => void> } = {
    hit: [],
    miss: [],
    stale: [],
    bypass: [],
    load: [],
    store: [],
    refresh: [],
    set: [],
    evict: [],
    invalidate: [],
    error: [],
    flush: [],
    retry: [],
    deadLetter: [],
    recover: [],
  };

  /** Subscribes to an event. @returns a function that unsubscribes. */
  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    const list = this.listeners[event];
    if (!list) throw new TypeError(`event: expected one of ${Object.keys(this.listeners).join(', ')}; got '${String(event)}'`);
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Whether anyone listens to `event` (check before building a payload on the hot path). */
  has(event: CacheEventName): boolean {
    return this.listeners[event].length !== 0;
  }

  /** Calls every listener of `event`; a throwing listener does not stop the others. */
  emit<E extends CacheEventName>(event: E, payload: CacheEvents[E]): void {
    for (const listener of this.listeners[event]) {
      try {
        listener(payload);
      } catch {
        // a listener's failure must never break a cached call
      }
    }
  }
}
