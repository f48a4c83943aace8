/**
 * The dashboard's memory of the last minutes: per method, hits and misses per time bucket and
 * loader durations, fed by the runtime's events. Counts and durations only, never a key or value.
 */

/** One time bucket of a method's reads. */
export interface ReadBucket {
  /** Start of the bucket, ms since the epoch. */
  readonly t: number;
  readonly hits: number;
  readonly misses: number;
}

/** Loader durations over the window (nearest-rank percentiles), in ms; `null` before any load. */
export interface LoadPercentiles {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
}

interface MethodWindow {
  buckets: Map<number, { hits: number; misses: number }>;
  loads: Array<{ t: number; ms: number }>;
}

/** Most loader durations kept per method (the oldest go first past it). */
const MAX_LOAD_SAMPLES = 5_000;

/** Hits/misses per bucket and loader durations of each method over the last `windowMs`. */
export class RollingWindow {
  private readonly methods = new Map<string, MethodWindow>();

  constructor(
    readonly bucketMs: number,
    readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Counts one read of `method`. */
  read(method: string, hit: boolean): void {
    const bucket = Math.floor(this.now() / this.bucketMs) * this.bucketMs;
    const window = this.of(method);
    let counts = window.buckets.get(bucket);
    if (!counts) {
      counts = { hits: 0, misses: 0 };
      window.buckets.set(bucket, counts);
      this.prune(window);
    }
    if (hit) counts.hits++;
    else counts.misses++;
  }

  /** Records one loader duration of `method`. */
  load(method: string, durationMs: number): void {
    const window = this.of(method);
    window.loads.push({ t: this.now(), ms: durationMs });
    if (window.loads.length > MAX_LOAD_SAMPLES) window.loads.splice(0, window.loads.length - MAX_LOAD_SAMPLES);
  }

  /** The buckets of `method` over the window, oldest first, empty buckets included. */
  series(method: string): ReadBucket[] {
    const window = this.methods.get(method);
    const last = Math.floor(this.now() / this.bucketMs) * this.bucketMs;
    const count = Math.ceil(this.windowMs / this.bucketMs);
    const out: ReadBucket[] = [];
    for (let i = count - 1; i >= 0; i--) {
      const t = last - i * this.bucketMs;
      const counts = window?.buckets.get(t);
      out.push({ t, hits: counts?.hits ?? 0, misses: counts?.misses ?? 0 });
    }
    return out;
  }

  /** p50/p99 of the loader durations of `method` within the window; `null` when none. */
  percentiles(method: string): LoadPercentiles | null {
    const window = this.methods.get(method);
    if (!window) return null;
    const since = this.now() - this.windowMs;
    while (window.loads.length > 0 && window.loads[0]!.t < since) window.loads.shift();
    if (window.loads.length === 0) return null;
    const sorted = window.loads.map((l) => l.ms).sort((a, b) => a - b);
    const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
    return { count: sorted.length, p50: rank(0.5), p99: rank(0.99) };
  }

  /** The methods seen. */
  names(): string[] {
    return [...this.methods.keys()];
  }

  private of(method: string): MethodWindow {
    let window = this.methods.get(method);
    if (!window) {
      window = { buckets: new Map(), loads: [] };
      this.methods.set(method, window);
    }
    return window;
  }

  private prune(window: MethodWindow): void {
    const oldest = Math.floor((this.now() - this.windowMs) / this.bucketMs) * this.bucketMs;
    for (const t of window.buckets.keys()) if (t <= oldest) window.buckets.delete(t);
  }
}
