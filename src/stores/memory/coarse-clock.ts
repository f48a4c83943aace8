/**
 * A clock that reads the system time at most once per millisecond: on this kind of machine
 * `Date.now()` costs ~60 ns, as much as the rest of a memory hit. The cached reading is
 * dropped by an unref'd 1 ms timer, so it is never older than one event-loop turn (the idea
 * is lru-cache's `ttlResolution`). TTLs are therefore exact to about a millisecond, and a
 * long synchronous stretch may serve an entry that expired during it.
 */
export class CoarseClock {
  private cached = 0;
  private readonly expire = () => {
    this.cached = 0;
  };

  /** Milliseconds since the epoch, as of this event-loop turn. */
  now(): number {
    if (this.cached === 0) {
      this.cached = Date.now();
      setTimeout(this.expire, 1).unref();
    }
    return this.cached;
  }
}

/** The clock MemoryStores use unless given one. */
export const coarseClock = new CoarseClock();
