/** Percentiles of a set of latencies, in milliseconds (0 when there were none). */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
}

/** Collects call latencies (milliseconds) and summarizes them as p50 and p99. */
export class LatencySamples {
  private readonly values: number[] = [];

  /** Records one latency. */
  add(ms: number): void {
    this.values.push(ms);
  }

  /** Count, p50 and p99 (nearest rank). */
  summary(): LatencySummary {
    const sorted = [...this.values].sort((a, b) => a - b);
    const at = (p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!);
    return { count: sorted.length, p50: at(0.5), p99: at(0.99) };
  }
}
