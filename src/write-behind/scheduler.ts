/** An opaque handle returned by {@link WriteBehindScheduler.setTimer}. */
export type TimerHandle = unknown;

/** Options of one timer. */
export interface TimerOptions {
  /**
   * A background timer (journal polling, heartbeats) must not keep the process alive: real
   * timers are unref'd, and `ManualScheduler.runAll()` does not wait for it.
   */
  background?: boolean;
}

/**
 * Time as the write-behind flusher sees it: its batch interval, retry backoff and journal
 * polling run on these timers, and jitter comes from `random`. Inject one (for instance a
 * `ManualScheduler`) so tests decide exactly when a flush happens.
 */
export interface WriteBehindScheduler {
  /** The current time in milliseconds. */
  now(): number;
  /** Calls `callback` once after `delayMs` (0: as soon as the current I/O turn ends). */
  setTimer(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer that has not fired yet (a fired or unknown handle is ignored). */
  clearTimer(handle: TimerHandle): void;
  /** A number in [0, 1) for the backoff jitter. @default Math.random */
  random?(): number;
}

type RealHandle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

/** Node's own timers: `setImmediate` for a delay of 0, `setTimeout` otherwise. */
export const realScheduler: WriteBehindScheduler = {
  now: () => Date.now(),
  setTimer(callback, delayMs, options): RealHandle {
    if (delayMs <= 0) {
      const immediate = setImmediate(callback);
      if (options?.background) immediate.unref();
      return { immediate };
    }
    const timeout = setTimeout(callback, delayMs);
    if (options?.background) timeout.unref();
    return { timeout };
  },
  clearTimer(handle) {
    const h = handle as RealHandle | undefined;
    if (h === undefined || h === null) return;
    if ('immediate' in h) clearImmediate(h.immediate);
    else clearTimeout(h.timeout);
  },
  random: Math.random,
};
