/**
 * Timeouts for many short operations without one timer per operation: operations enter a
 * queue in start order (so in deadline order, as they share one timeout), and a single
 * unref'd interval expires the overdue ones from the front. Adding and removing an
 * operation is a Set insert and delete; the interval runs only while operations are pending.
 * An operation expires between `timeoutMs` and `timeoutMs * 1.25` (plus event-loop lag)
 * after it started.
 */

/** An operation that can expire. */
export interface Deadline {
  /** When it expires (a `performance.now()` time). */
  readonly at: number;
  /** Called once when the deadline passes before {@link OperationDeadlines.done}. */
  expire(): void;
}

/** See the file comment. */
export class OperationDeadlines {
  /** The shared timeout, in ms. */
  readonly timeoutMs: number;
  private readonly pending = new Set<Deadline>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(1, Math.ceil(timeoutMs / 4));
  }

  /** Number of operations waiting for an answer. */
  get size(): number {
    return this.pending.size;
  }

  /** Starts tracking `deadline` (whose `at` should be `performance.now() + timeoutMs`). */
  add(deadline: Deadline): void {
    this.pending.add(deadline);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref?.();
    }
  }

  /** Stops tracking an operation that settled. @returns false if it had already expired */
  done(deadline: Deadline): boolean {
    return this.pending.delete(deadline);
  }

  /** Expires every pending operation now (the store is closing) and stops the timer. */
  expireAll(): void {
    const all = [...this.pending];
    this.pending.clear();
    for (const d of all) d.expire();
    this.stop();
  }

  private sweep(): void {
    const now = performance.now();
    for (const d of this.pending) {
      if (d.at > now) return;
      this.pending.delete(d);
      d.expire();
    }
    if (this.pending.size === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
