/**
 * A timer on the flusher's scheduler that is armed at most once at a time: the one place the
 * flusher arms its batch interval and its next-turn kick.
 */
import type { TimerHandle, WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import { realScheduler } from './scheduler.js';

/**
 * Fires `fire` once, `delayMs` after {@link arm}; arming an armed timer does nothing.
 *
 * A delay of 0 on Node's own timers (`realScheduler`) is a microtask: it fires once the code that
 * armed it has returned, before the caller's next call if that caller awaits each call in one
 * event-loop turn (a loop of awaited writes would otherwise queue every write before the first
 * batch starts). Any other scheduler (a `ManualScheduler` in tests) gets a timer of 0 and decides
 * when it fires.
 */
export class OneShotTimer {
  private handle: TimerHandle | undefined;
  private readonly microtask: boolean;

  constructor(
    private readonly scheduler: WriteBehindScheduler,
    private readonly delayMs: number,
    private readonly fire: () => void,
  ) {
    this.microtask = delayMs <= 0 && scheduler === realScheduler;
  }

  /** Whether the timer is set and has not fired. */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  /** Sets the timer unless it is set already. */
  arm(): void {
    if (this.handle !== undefined) return;
    if (this.microtask) {
      // a microtask cannot be cleared: it fires only while its token is still the handle
      const token = {};
      this.handle = token;
      queueMicrotask(() => {
        if (this.handle !== token) return;
        this.handle = undefined;
        this.fire();
      });
      return;
    }
    this.handle = this.scheduler.setTimer(() => {
      this.handle = undefined;
      this.fire();
    }, this.delayMs);
  }

  /** Clears the timer if it is set. */
  cancel(): void {
    if (this.handle === undefined) return;
    if (!this.microtask) this.scheduler.clearTimer(this.handle);
    this.handle = undefined;
  }
}
