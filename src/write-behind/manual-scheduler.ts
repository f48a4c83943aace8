import type { TimerHandle, TimerOptions, WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import type { ManualSchedulerOptions } from '../options/manual-scheduler.js';
import { MANUAL_SCHEDULER_DEFAULTS } from '../defaults.js';

interface ManualTimer {
  readonly id: number;
  readonly due: number;
  readonly callback: () => void;
  readonly background: boolean;
}

/**
 * A scheduler whose time only moves when the test says so: `advance(ms)` runs, in order,
 * every timer that falls due, letting pending promise callbacks run after each. Pass it as
 * `@WriteBehind({ scheduler })` to trigger batch flushes and retries exactly.
 */
export class ManualScheduler implements WriteBehindScheduler {
  /** Every delay asked for, in order (background timers included), for assertions on backoff. */
  readonly requestedDelays: number[] = [];
  private time: number;
  private nextId = 1;
  private timers: ManualTimer[] = [];
  private readonly jitter: () => number;

  constructor(options: ManualSchedulerOptions = {}) {
    this.time = options.now ?? MANUAL_SCHEDULER_DEFAULTS.now;
    this.jitter = options.random ?? Math.random;
  }

  now(): number {
    return this.time;
  }

  random(): number {
    return this.jitter();
  }

  setTimer(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle {
    const timer: ManualTimer = { id: this.nextId++, due: this.time + Math.max(0, delayMs), callback, background: options?.background ?? false };
    this.requestedDelays.push(delayMs);
    // keep timers sorted by due time, then by creation
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1]!.due > timer.due) i--;
    this.timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimer(handle: TimerHandle): void {
    const i = this.timers.findIndex((t) => t.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers waiting to fire, not counting background ones. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.background).length;
  }

  /** When the next timer (background ones included) falls due, or undefined if none is set. */
  get nextDue(): number | undefined {
    return this.timers[0]?.due;
  }

  /**
   * Moves the clock forward by `ms`, running every timer that falls due on the way (timers
   * they set run too if they fall due in time), each followed by a few turns of the event loop
   * so that the promise callbacks it started can run.
   */
  async advance(ms = 0): Promise<void> {
    const until = this.time + ms;
    await settle();
    for (;;) {
      const next = this.timers[0];
      if (next === undefined || next.due > until) break;
      this.timers.shift();
      this.time = Math.max(this.time, next.due);
      next.callback();
      await settle();
    }
    this.time = until;
    await settle();
  }

  /**
   * Runs timers in due order, moving the clock to each, until no non-background timer is left.
   * @returns how far the clock moved
   * @throws Error if timers keep coming after `maxTimers` runs
   */
  async runAll(maxTimers = 100_000): Promise<number> {
    const start = this.time;
    await settle();
    for (let n = 0; ; n++) {
      const next = this.timers.find((t) => !t.background);
      if (next === undefined) break;
      if (n >= maxTimers) throw new Error(`ManualScheduler.runAll: still timers after ${maxTimers} runs`);
      await this.advance(next.due - this.time);
    }
    return this.time - start;
  }
}

/** A few turns of the event loop: promise callbacks and immediate I/O callbacks get to run. */
async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
