/**
 * Timeouts for many short operations without one timer per operation, and without reading a
 * clock per operation: a single unref'd interval ticks every `timeoutMs / 4` while operations
 * are pending, an operation is due 5 ticks after the tick it started in, and each tick expires
 * the due ones from the front of a list kept in start order (so in deadline order). The list
 * is intrusive (each operation carries its own links), so adding and removing an operation is
 * a few field writes, with no allocation and no hashing. An operation thus expires between
 * `timeoutMs` and `timeoutMs * 1.25` (plus event-loop lag) after it started.
 */

/** An operation that can expire. Its fields belong to {@link OperationDeadlines}; start them undefined (`at`: 0). */
export interface Deadline {
  /** The tick at which it expires. */
  at: number;
  /** Called once when the deadline passes before {@link OperationDeadlines.done}. */
  expire(): void;
  /** The operation started before this one, while both are pending. */
  prev: Deadline | undefined;
  /** The operation started after this one, while both are pending. */
  next: Deadline | undefined;
}

/** Ticks from an operation's start to its expiry: 4 full ticks of `timeoutMs / 4`, plus the one it started in. */
const TICKS_PER_TIMEOUT = 5;

/** See the file comment. */
export class OperationDeadlines {
  /** The shared timeout, in ms. */
  readonly timeoutMs: number;
  private head: Deadline | undefined;
  private tail: Deadline | undefined;
  private count = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly tickMs: number;
  private tick = 0;

  constructor(timeoutMs: number) {
    this.timeoutMs = timeoutMs;
    this.tickMs = Math.max(1, Math.ceil(timeoutMs / 4));
  }

  /** Number of operations waiting for an answer. */
  get size(): number {
    return this.count;
  }

  /** Starts tracking `deadline`: it expires in `timeoutMs` to `timeoutMs * 1.25`. */
  add(deadline: Deadline): void {
    deadline.at = this.tick + TICKS_PER_TIMEOUT;
    const tail = this.tail;
    deadline.prev = tail;
    deadline.next = undefined;
    if (tail === undefined) this.head = deadline;
    else tail.next = deadline;
    this.tail = deadline;
    this.count++;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(), this.tickMs);
      this.timer.unref?.();
    }
  }

  /** Stops tracking an operation that settled. @returns false if it was not pending (it had expired) */
  done(deadline: Deadline): boolean {
    const { prev, next } = deadline;
    if (prev === undefined && this.head !== deadline) return false;
    if (prev === undefined) this.head = next;
    else prev.next = next;
    if (next === undefined) this.tail = prev;
    else next.prev = prev;
    deadline.prev = undefined;
    deadline.next = undefined;
    this.count--;
    return true;
  }

  /** Expires every pending operation now (the store is closing) and stops the timer. */
  expireAll(): void {
    const all: Deadline[] = [];
    for (let d = this.head; d !== undefined; d = d.next) all.push(d);
    for (const d of all) this.done(d);
    for (const d of all) d.expire();
    this.stop();
  }

  private sweep(): void {
    const now = ++this.tick;
    for (let d = this.head; d !== undefined && d.at <= now; d = this.head) {
      this.done(d);
      d.expire();
    }
    if (this.count === 0) this.stop();
  }

  private stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
