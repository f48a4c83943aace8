/**
 * Che's approximation of an LRU cache under the independent reference model (Che, Tung and
 * Wang 2002; Fricker, Robert and Roberts 2012).
 *
 * An item stays in an LRU cache of C entries for about a fixed "characteristic time" T after
 * its last request. T solves sum_i (1 - exp(-p_i T)) = C (the expected number of distinct
 * items requested within T fills the cache), and item i is a hit with probability
 * 1 - exp(-p_i T). The approximation is known to be within a fraction of a point for Zipf
 * popularities and caches of more than a few dozen entries.
 */

// Module-level alias: a global lookup per call is slow in sandboxed contexts such as Jest's.
const expm1 = Math.expm1;

/**
 * The characteristic time T (in requests) of an LRU cache of `capacity` entries over items
 * requested with `probabilities`: the root of sum_i (1 - exp(-p_i T)) = capacity, by
 * bisection. @returns Infinity when the cache holds every item
 */
export function cheCharacteristicTime(probabilities: Float64Array, capacity: number): number {
  const items = probabilities.length;
  if (capacity >= items) return Infinity;
  if (!(capacity > 0)) return 0;
  const occupancy = (t: number): number => {
    let sum = 0;
    for (let i = 0; i < items; i++) sum += -expm1(-probabilities[i]! * t);
    return sum;
  };
  let lo = 0;
  let hi = capacity;
  while (occupancy(hi) < capacity) {
    lo = hi;
    hi *= 2;
  }
  for (let i = 0; i < 200 && hi - lo > 1e-9 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (occupancy(mid) < capacity) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Che's approximation of the hit ratio of an LRU cache of `capacity` entries: sum_i p_i (1 - exp(-p_i T)). */
export function cheLruHitRatio(probabilities: Float64Array, capacity: number): number {
  const t = cheCharacteristicTime(probabilities, capacity);
  if (t === Infinity) return 1;
  let hit = 0;
  for (let i = 0; i < probabilities.length; i++) hit += probabilities[i]! * -expm1(-probabilities[i]! * t);
  return hit;
}
