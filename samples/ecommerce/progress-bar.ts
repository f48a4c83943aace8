/** A text progress bar redrawn in place with `\r`; draws only on a terminal. */
export class ProgressBar {
  private lastDraw = 0;
  private drawn = false;

  private constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly width: number,
  ) {}

  /** A bar on `stream`, or undefined when it is not a terminal (piped, CI, tests). */
  static create(stream: NodeJS.WriteStream = process.stderr, width = 30): ProgressBar | undefined {
    return stream.isTTY ? new ProgressBar(stream, width) : undefined;
  }

  /** Redraws (at most every 50 ms, and always at the end of a phase). */
  update(done: number, total: number, label: string): void {
    const now = performance.now();
    if (done < total && now - this.lastDraw < 50) return;
    this.lastDraw = now;
    const filled = total === 0 ? this.width : Math.floor((done / total) * this.width);
    const percent = total === 0 ? 100 : Math.floor((done / total) * 100);
    const bar = '#'.repeat(filled) + '-'.repeat(this.width - filled);
    this.stream.write(`\r[${bar}] ${String(percent).padStart(3)}%  ${label}  ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')}  `);
    this.drawn = true;
  }

  /** Erases the bar. */
  clear(): void {
    if (!this.drawn) return;
    this.stream.write(`\r${' '.repeat(this.width + 60)}\r`);
    this.drawn = false;
  }
}
