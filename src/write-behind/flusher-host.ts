import type { ErrorContext } from '../options/cache-runtime.js';

/** The counters of a method that its flusher moves (the runtime's per-method stats). */
export interface FlusherStats {
  /** Writes accepted into the queue. */
  queued: number;
  /** Method calls that wrote queued items. */
  flushed: number;
  /** Failed attempts that will be retried. */
  retries: number;
  /** Items handed to the dead-letter handler. */
  deadLetters: number;
}

/** The events a flusher emits, with their payloads (the same as the runtime's events of those names). */
export interface FlusherEvents {
  /** A batch of writes reached the method (how long it took since the flusher took it up; what was captured when its writes were accepted). */
  flush: { method: string; items: number; durationMs: number; origins: readonly unknown[] };
  /** An attempt failed and will be retried. */
  retry: { method: string; key: string; attempt: number; error: unknown };
  /** An item failed every attempt and went to the dead-letter handler. */
  deadLetter: { method: string; key: string; error: unknown };
}

/**
 * What a flusher needs of the runtime it belongs to (a `CacheRuntime` is one): its error hook,
 * its events, and the writes of a runtime it replaced, which run first. Declared here so that
 * write-behind/ does not import runtime/ (runtime/ builds the flushers).
 */
export interface FlusherHost {
  /** Reports a failure the call survived, counted in `stats`. */
  report(error: unknown, context: ErrorContext, stats?: FlusherStats): void;
  /** Settles once the queued writes of the replaced runtime ran; undefined when there is none. */
  readonly predecessorDone: Promise<void> | undefined;
  /** The runtime's event emitter. */
  readonly events: {
    has(event: keyof FlusherEvents): boolean;
    emit<E extends keyof FlusherEvents>(event: E, payload: FlusherEvents[E]): void;
  };
}
