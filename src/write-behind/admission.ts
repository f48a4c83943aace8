/**
 * Admission of calls into a flusher: `maxPending` and the `backpressure` policy. A call reserves
 * a slot before it is queued (a durable call holds it across its journal append); the slot is
 * consumed by the item it starts, or given back. Calls that find no room wait here, oldest
 * first, or are refused, by the policy.
 */
import type { BackpressurePolicy } from '../options/write-behind.js';
import { QueueFullError } from '../errors.js';

interface RoomWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** What admission needs to know of its flusher. */
export interface AdmissionHost {
  /** `Class.method`, for messages. */
  readonly method: string;
  readonly maxPending: number;
  readonly backpressure: BackpressurePolicy;
  /** Items the flusher holds (not counting reservations). */
  held(): number;
  /** Flush everything ready now (backpressure `'flush'`). */
  requestFlush(): void;
}

/** Reservations and waiting calls of one flusher: keeps items held plus reservations at or below `maxPending`. */
export class Admission {
  private readonly waiters: RoomWaiter[] = [];
  /** Calls holding a slot they have not used or given back yet. */
  private reservedSlots = 0;

  constructor(private readonly host: AdmissionHost) {}

  /** Slots reserved by calls not queued yet. */
  get reserved(): number {
    return this.reservedSlots;
  }

  /** Items held plus reservations. */
  get size(): number {
    return this.host.held() + this.reservedSlots;
  }

  /** How many more items fit now. */
  room(): number {
    return Math.max(0, this.host.maxPending - this.size);
  }

  /**
   * Reserves a slot for a call, by the backpressure policy, unless it coalesces (needs no room).
   * @returns whether a slot was reserved
   * @throws QueueFullError with `backpressure: 'reject'` when full
   */
  admit(coalesces: boolean): boolean | Promise<boolean> {
    if (coalesces) return false;
    const { maxPending, backpressure, method } = this.host;
    if (this.size < maxPending && this.waiters.length === 0) {
      this.reservedSlots++;
      return true;
    }
    if (backpressure === 'reject') {
      return Promise.reject(new QueueFullError(`${method}: ${maxPending} writes are queued already (maxPending; backpressure: 'reject')`));
    }
    if (backpressure === 'flush') this.host.requestFlush();
    return new Promise<boolean>((resolve, reject) => {
      this.waiters.push({ resolve: () => resolve(true), reject });
    });
  }

  /** A reserved slot became an item (the size is unchanged). */
  consume(): void {
    this.reservedSlots--;
  }

  /** Gives back a reserved slot that was not used, and hands room on. */
  unreserve(): void {
    this.reservedSlots--;
    this.grant();
  }

  /** Hands free room to the calls waiting for it, oldest first. */
  grant(): void {
    while (this.waiters.length && this.size < this.host.maxPending) {
      this.reservedSlots++;
      this.waiters.shift()!.resolve();
    }
  }

  /** Refuses every call waiting for room with `error` (close). */
  refuseWaiting(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
