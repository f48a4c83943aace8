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
