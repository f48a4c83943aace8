import type { EvictionPolicy } from 'cachekit';

/** One measured point: the hit rate of a cache of `cacheSize` entries. */
export interface HitRatePoint {
  /** Cache capacity in entries. */
  cacheSize: number;
  /** Hits / requests after the warm-up, in [0, 1]. */
  hitRate: number;
}

/** The hit rates of one policy over the cache sizes, smallest cache first. */
export interface HitRateSeries {
  policy: EvictionPolicy;
  points: HitRatePoint[];
}

/** The results for one workload. */
export interface WorkloadHitRates {
  /** Short identifier (`zipf-0.8`, `scan`, `mixed`). */
  name: string;
  /** Description for the table and the chart. */
  label: string;
  /** One series per simulated policy. */
  series: HitRateSeries[];
  /** Che's approximation of LRU, for the Zipf workloads (independent requests) only. */
  che?: HitRatePoint[];
  /** Belady's OPT with bypass, replayed on the same requests: the offline upper bound. */
  opt: HitRatePoint[];
  /**
   * The best online policy, keeping the k most probable items: its expected hit ratio (the sum
   * of the k largest probabilities), for the Zipf workloads only.
   */
  bestOnline?: HitRatePoint[];
  /** The same policy replayed on the requests, to show it matches its expected value. */
  bestOnlineReplayed?: HitRatePoint[];
}

/** Everything one simulator run measured. */
export interface HitRateReport {
  /** Cache sizes simulated, ascending. */
  cacheSizes: number[];
  /** Policies simulated. */
  policies: EvictionPolicy[];
  /** Requests per workload, warm-up included. */
  requests: number;
  /** Requests at the start of each replay that were not counted. */
  warmup: number;
  /** One entry per workload, in the order simulated. */
  workloads: WorkloadHitRates[];
  /** Where the SVG chart was written, if it was. */
  svgPath?: string;
}

/** Display names of the policies. */
export const POLICY_LABELS: Readonly<Record<EvictionPolicy, string>> = {
  lru: 'LRU',
  lfu: 'LFU',
  tinylfu: 'W-TinyLFU',
};
