/**
 * Timeouts for many short operations without one timer per operation, and without reading a
 * clock per operation: a single unref'd interval ticks every `timeoutMs / 4` while operations
 * are pending, an operation is due 5 ticks after the tick it started in, and each tick expires
 * the due ones from the front of a list kept in start order (so in deadline order). The list
 * is intrusive (`linked-list.ts`: each operation carries its own links), so adding and removing
 * an operation is a few field writes, with no allocation and no hashing. An operation thus expires between
 * `timeoutMs` and `timeoutMs * 1.25` (plus event-loop lag) after it started.
 */

import { LinkedList, type ListNode } from '../structures/linked-list.js';

/** An operation that can expire. Its fields belong to {@link OperationDeadlines}; start them at 0 and null. */
export interface Deadline extends ListNode<Deadline> {
  /** The tick at which it expires. */
  at: number;
  /** Called once when the deadline passes before {@link OperationDeadlines.done}. */
  expire(): void;
}

/** Ticks from an operation's start to its expiry: 4 full ticks of `timeoutMs / 4`, plus the one it started in. */
const TICKS_PER_TIMEOUT = 5;

/** See the file comment. */
export class OperationDeadlines {
  /** The shared timeout, in ms. */
  readonly timeoutMs: number;
  private readonly pending = new LinkedList<Deadline>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;
  private tick = 0;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(1, Math.ceil(timeoutMs / 4));
  }

  /** Number of operations waiting for an answer. */
  get size(): number {
    return this.pending.length;
  }

  /** Starts tracking `deadline`: it expires in `timeoutMs` to `timeoutMs * 1.25`. */
  add(deadline: Deadline): void {
    deadline.at = this.tick + TICKS_PER_TIMEOUT;
    this.pending.pushTail(deadline);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref?.();
    }
  }

  /** Stops tracking an operation that settled. @returns false if it was not pending (it had expired) */
  done(deadline: Deadline): boolean {
    if (deadline.prev === null && this.pending.head !== deadline) return false;
    this.pending.remove(deadline);
    return true;
  }

  /** Expires every pending operation now (the store is closing) and stops the timer. */
  expireAll(): void {
    const all: Deadline[] = [];
    for (let d = this.pending.head; d !== null; d = d.next) all.push(d);
    for (const d of all) this.done(d);
    for (const d of all) d.expire();
    this.stop();
  }

  private sweep(): void {
    const now = ++this.tick;
    for (let d = this.pending.head; d !== null && d.at <= now; d = this.pending.head) {
      this.pending.remove(d);
      d.expire();
    }
    if (this.pending.length === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
