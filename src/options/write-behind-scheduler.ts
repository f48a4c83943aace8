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
