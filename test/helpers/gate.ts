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

/** Waits (a macrotask turn at a time, 5 s at most) until `condition` holds; throws if it never does. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
