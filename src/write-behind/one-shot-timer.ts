/**
 * A timer on the flusher's scheduler that is armed at most once at a time: the one place the
 * flusher arms its batch interval and its next-turn kick.
 */
import type { TimerHandle, WriteBehindScheduler } from '../options/write-behind-scheduler.js';

/** Fires `fire` once, `delayMs` after {@link arm}; arming an armed timer does nothing. */
export class OneShotTimer {
  private handle: TimerHandle | undefined;

  constructor(
    private readonly scheduler: WriteBehindScheduler,
    private readonly delayMs: number,
    private readonly fire: () => void,
  ) {}

  /** Whether the timer is set and has not fired. */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  /** Sets the timer unless it is set already. */
  arm(): void {
    if (this.handle !== undefined) return;
    this.handle = this.scheduler.setTimer(() => {
      this.handle = undefined;
      this.fire();
    }, this.delayMs);
  }

  /** Clears the timer if it is set. */
  cancel(): void {
    if (this.handle === undefined) return;
    this.scheduler.clearTimer(this.handle);
    this.handle = undefined;
  }
}
