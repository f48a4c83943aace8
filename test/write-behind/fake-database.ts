/**
 * A stand-in database for write-behind tests: rows by key, a log of every write call, and
 * switches to make writes fail (all of them, or those of poison keys) or hang until released.
 */
export class FakeDatabase {
  readonly rows = new Map<string, unknown>();
  /** Every call that reached the database, in order: one entry per method call, with the keys written. */
  readonly calls: string[][] = [];
  /** Keys whose write always fails. */
  readonly poison = new Set<string>();
  /** While true every write fails (the database is down). */
  down = false;
  /** When set, the database goes down (`down = true`) once this many more writes have succeeded. */
  downAfter: number | undefined;
  /** Most writes seen running at once. */
  maxConcurrent = 0;
  private running = 0;
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  /** Makes every write wait until {@link release} is called. */
  hold(): void {
    this.gate = new Promise((resolve) => (this.openGate = resolve));
  }

  /** Lets held writes continue. */
  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  /** Writes rows (one call), failing as configured. */
  async write(rows: Array<[string, unknown]>): Promise<void> {
    this.running++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running);
    try {
      if (this.gate) await this.gate;
      this.calls.push(rows.map(([k]) => k));
      if (this.down) throw new Error('database is down');
      const bad = rows.find(([k]) => this.poison.has(k));
      if (bad) throw new Error(`constraint violated by ${bad[0]}`);
      for (const [k, v] of rows) this.rows.set(k, v);
      if (this.downAfter !== undefined && --this.downAfter === 0) {
        this.down = true;
        this.downAfter = undefined;
      }
    } finally {
      this.running--;
    }
  }
}
