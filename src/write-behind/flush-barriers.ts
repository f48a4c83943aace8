/**
 * The `flush()` calls waiting on a flusher. Each waits for the items unsettled when it was
 * called (every one queued before it: sequence numbers only grow), counted down as they settle.
 */

interface Barrier {
  /** The newest item sequence number the flush waits for. */
  readonly seq: number;
  /** Items at or below `seq` not settled yet. */
  remaining: number;
  resolve(): void;
}

/** Pending flush barriers; while any is pending, everything ready is written at once. */
export class FlushBarriers {
  private readonly barriers: Barrier[] = [];

  /** Whether a flush is waiting. */
  get active(): boolean {
    return this.barriers.length > 0;
  }

  /**
   * Adds a barrier for the `remaining` unsettled items, all at or below `seq`.
   * @returns a promise that resolves once they have settled
   */
  wait(seq: number, remaining: number): Promise<void> {
    return new Promise<void>((resolve) => this.barriers.push({ seq, remaining, resolve }));
  }

  /**
   * Counts a settled item down on every barrier it was queued before, releasing those that
   * reach zero. A countdown, not a look at the oldest unsettled item: finding that in a Map
   * emptied from the front skips every deleted slot, which made a long flush quadratic.
   */
  settled(seq: number): void {
    for (let i = 0; i < this.barriers.length; i++) {
      const barrier = this.barriers[i]!;
      if (seq <= barrier.seq && --barrier.remaining === 0) {
        barrier.resolve();
        this.barriers.splice(i--, 1);
      }
    }
  }
}
