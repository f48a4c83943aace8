import { seededRandom } from './seeded-random.js';

/** A request sequence to replay against a cache: each request is an item id (0-based). */
export interface Workload {
  /** Short identifier, e.g. `zipf-0.8`, `scan`, `mixed`. */
  name: string;
  /** Human-readable description for tables and charts. */
  label: string;
  /** The item requested at each step. */
  requests: Int32Array;
  /** One more than the largest item id, i.e. how many distinct keys the workload can touch. */
  keySpace: number;
}

/**
 * Zipf popularity over `items` items: item i (0-based) has probability proportional to
 * 1 / (i + 1)^alpha. @returns the probabilities, summing to 1, most popular first
 */
export function zipfProbabilities(items: number, alpha: number): Float64Array {
  if (!Number.isInteger(items) || items < 1) throw new RangeError(`items: expected an integer >= 1; got ${items}`);
  if (!(alpha >= 0)) throw new RangeError(`alpha: expected a number >= 0; got ${alpha}`);
  const p = new Float64Array(items);
  let sum = 0;
  for (let i = 0; i < items; i++) {
    p[i] = 1 / Math.pow(i + 1, alpha);
    sum += p[i]!;
  }
  for (let i = 0; i < items; i++) p[i]! /= sum;
  return p;
}

/**
 * A sampler of a discrete distribution by inverse transform (binary search over the
 * cumulative sums, O(log n) a draw), driven by a seeded generator.
 * @returns a function giving the next item id
 */
export function discreteSampler(probabilities: Float64Array, seed: number): () => number {
  const cumulative = new Float64Array(probabilities.length);
  let sum = 0;
  for (let i = 0; i < probabilities.length; i++) {
    sum += probabilities[i]!;
    cumulative[i] = sum;
  }
  const last = probabilities.length - 1;
  const random = seededRandom(seed);
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

/** Options of {@link zipfWorkload}. */
export interface ZipfWorkloadOptions {
  /** Number of distinct items. */
  items: number;
  /** Zipf exponent: 0 is uniform, larger is more skewed. */
  alpha: number;
  /** Number of requests. */
  requests: number;
  /** Seed of the generator. */
  seed: number;
}

/** Independent requests drawn from a Zipf(alpha) popularity over `items` items (the independent reference model). */
export function zipfWorkload({ items, alpha, requests, seed }: ZipfWorkloadOptions): Workload {
  const next = discreteSampler(zipfProbabilities(items, alpha), seed);
  const sequence = new Int32Array(requests);
  for (let i = 0; i < requests; i++) sequence[i] = next();
  return { name: `zipf-${alpha.toFixed(1)}`, label: `Zipf alpha=${alpha.toFixed(1)}, ${items.toLocaleString('en-US')} items`, requests: sequence, keySpace: items };
}

/** Options of {@link scanWorkload}. */
export interface ScanWorkloadOptions {
  /** Length of the loop: items 0 .. items-1 are read in order, over and over. */
  items: number;
  /** Number of requests. */
  requests: number;
}

/**
 * A looping scan: items 0, 1, ..., items-1, 0, 1, ... (a batch job re-reading a table).
 * Every item is equally frequent, and each is reused only after all the others: LRU holds
 * nothing useful once the loop is longer than the cache.
 */
export function scanWorkload({ items, requests }: ScanWorkloadOptions): Workload {
  const sequence = new Int32Array(requests);
  for (let i = 0; i < requests; i++) sequence[i] = i % items;
  return { name: 'scan', label: `Looping scan over ${items.toLocaleString('en-US')} items`, requests: sequence, keySpace: items };
}

/** Options of {@link mixedWorkload}. */
export interface MixedWorkloadOptions extends ZipfWorkloadOptions {
  /** Zipf requests between two scans. */
  zipfRun: number;
  /** Length of each scan: this many never-seen-before items read once, in order. */
  scanLength: number;
}

/**
 * Zipf traffic interrupted by one-off scans: `zipfRun` Zipf requests, then `scanLength` new
 * items read once each (ids from `items` upwards, never repeated), and again. Scans push the
 * popular items out of an LRU cache; a frequency-aware policy keeps them.
 */
export function mixedWorkload({ items, alpha, requests, seed, zipfRun, scanLength }: MixedWorkloadOptions): Workload {
  const next = discreteSampler(zipfProbabilities(items, alpha), seed);
  const sequence = new Int32Array(requests);
  let cold = items;
  for (let i = 0; i < requests; ) {
    for (let j = 0; j < zipfRun && i < requests; j++) sequence[i++] = next();
    for (let j = 0; j < scanLength && i < requests; j++) sequence[i++] = cold++;
  }
  const share = Math.round((100 * scanLength) / (zipfRun + scanLength));
  return {
    name: 'mixed',
    label: `Zipf alpha=${alpha.toFixed(1)} + ${share}% one-off scans`,
    requests: sequence,
    keySpace: cold,
  };
}
