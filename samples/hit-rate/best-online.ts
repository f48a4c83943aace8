/**
 * The best online policy when requests are independent draws from a known popularity (the
 * independent reference model, which the Zipf workloads follow): keep the `k` most probable
 * items and nothing else (Aho, Denning and Ullman 1971). No policy that sees only the past can
 * expect more hits per request; only an offline policy (Belady's OPT) can, by knowing the
 * actual draws.
 */
import type { Workload } from './workloads.js';

/**
 * The expected hit ratio of a cache of `capacity` entries that keeps the most probable items:
 * the sum of the `capacity` largest probabilities (added smallest first, for accuracy).
 */
export function topKHitRatio(probabilities: Float64Array, capacity: number): number {
  if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity: expected an integer >= 0; got ${capacity}`);
  const sorted = Float64Array.from(probabilities).sort();
  let sum = 0;
  for (let i = sorted.length - Math.min(capacity, sorted.length); i < sorted.length; i++) sum += sorted[i]!;
  return sum;
}

/** What a replay of the top-k policy counted. */
export interface TopKResult {
  /** Requests counted (after the warm-up). */
  requests: number;
  /** Hits among the counted requests. */
  hits: number;
  /** hits / requests. */
  hitRate: number;
}

/**
 * Replays a workload through the top-k policy for a cache of `capacity` entries: on a miss the
 * item is admitted if it is one of the `capacity` most probable, and nothing is ever evicted.
 * The first `warmup` requests fill the cache and are not counted, as for the other policies.
 * Ties in probability are broken by the lower item id.
 */
export function replayTopK(workload: Workload, probabilities: Float64Array, capacity: number, warmup: number): TopKResult {
  const keep = new Uint8Array(workload.keySpace);
  const ranked = Array.from(probabilities.keys()).sort((a, b) => probabilities[b]! - probabilities[a]! || a - b);
  for (const id of ranked.slice(0, capacity)) keep[id] = 1;
  const cached = new Uint8Array(workload.keySpace);
  const requests = workload.requests;
  const start = Math.min(Math.max(0, warmup), requests.length);
  let hits = 0;
  for (let i = 0; i < requests.length; i++) {
    const id = requests[i]!;
    if (cached[id] === 1) {
      if (i >= start) hits++;
    } else if (keep[id] === 1) {
      cached[id] = 1;
    }
  }
  const counted = requests.length - start;
  return { requests: counted, hits, hitRate: counted === 0 ? 0 : hits / counted };
}
