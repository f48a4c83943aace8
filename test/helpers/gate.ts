/** A promise the test opens by hand, to force one exact interleaving of concurrent calls. */
export class Gate {
  private release!: () => void;
  /** Resolves when {@link open} is called. */
  readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  /** Lets every waiter through. */
  open(): void {
    this.release();
  }
}

/** Lets pending promise callbacks run (a few macrotask turns). */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
