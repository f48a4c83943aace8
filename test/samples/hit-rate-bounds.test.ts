import { nextUseIndices, replayBeladyOpt } from '../../samples/hit-rate/belady-opt.js';
import { replayTopK, topKHitRatio } from '../../samples/hit-rate/best-online.js';
import { seededRandom } from '../../samples/hit-rate/seeded-random.js';
import { zipfProbabilities, zipfWorkload, type Workload } from '../../samples/hit-rate/workloads.js';

/** A workload from a plain list of item ids. */
function trace(ids: number[]): Workload {
  return { name: 'trace', label: 'trace', requests: Int32Array.from(ids), keySpace: Math.max(0, ...ids) + 1 };
}

/**
 * The most hits a cache of `capacity` entries can score on requests `warmup` onwards, by
 * exhaustive search: at every miss (warm-up included) try not admitting the item, admitting it
 * into free room, and admitting it in place of each resident. Memoised on (position, residents),
 * which keeps the search exact. Item ids must be < 8.
 */
function bruteForceHits(ids: number[], capacity: number, warmup: number): number {
  const memo = new Map<number, number>();
  const best = (i: number, residents: number): number => {
    if (i === ids.length) return 0;
    const key = i * 256 + residents;
    const known = memo.get(key);
    if (known !== undefined) return known;
    const bit = 1 << ids[i]!;
    let result: number;
    if ((residents & bit) !== 0) {
      result = (i >= warmup ? 1 : 0) + best(i + 1, residents);
    } else {
      result = best(i + 1, residents); // not admitted
      if (popcount(residents) < capacity) result = Math.max(result, best(i + 1, residents | bit));
      for (let r = 0; r < 8; r++) {
        if ((residents & (1 << r)) !== 0) result = Math.max(result, best(i + 1, (residents & ~(1 << r)) | bit));
      }
    }
    memo.set(key, result);
    return result;
  };
  return best(0, 0);
}

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

/**
 * Belady with bypass written the plain way, from an empty cache: the next request of each
 * position from a backward pass over a Map; on a miss with the cache full, a linear scan of the
 * residents for the one requested last, dropped if it comes back later than the requested
 * item (otherwise the requested item is not admitted). O(n * k).
 */
function plainBeladyHits(ids: Int32Array, capacity: number): number {
  const nextAt: number[] = new Array<number>(ids.length);
  const upcoming = new Map<number, number>();
  for (let i = ids.length - 1; i >= 0; i--) {
    nextAt[i] = upcoming.get(ids[i]!) ?? Infinity;
    upcoming.set(ids[i]!, i);
  }
  const cache = new Map<number, number>(); // item -> its next request
  let hits = 0;
  ids.forEach((id, i) => {
    if (cache.has(id)) {
      hits++;
      cache.set(id, nextAt[i]!);
      return;
    }
    if (cache.size < capacity) {
      cache.set(id, nextAt[i]!);
      return;
    }
    let victim = id;
    let furthest = nextAt[i]!;
    for (const [resident, next] of cache) {
      if (next > furthest) {
        furthest = next;
        victim = resident;
      }
    }
    if (victim !== id) {
      cache.delete(victim);
      cache.set(id, nextAt[i]!);
    }
  });
  return hits;
}

describe("Belady's OPT (samples/hit-rate/belady-opt.ts)", () => {
  it('next-use indices: the next request of the same item, or the trace length for never', () => {
    expect(Array.from(nextUseIndices(Int32Array.from([0, 1, 0, 2, 1, 0]), 3))).toEqual([2, 4, 5, 6, 6, 6]);
  });

  it('equals the exhaustive optimum on 5,000 seeded random short traces, with and without warm-up', () => {
    const random = seededRandom(7);
    const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
    let withWarmup = 0;
    for (let t = 0; t < 5_000; t++) {
      const items = int(1, 7);
      const ids = Array.from({ length: int(1, 16) }, () => int(0, items - 1));
      const capacity = int(1, 4);
      const warmup = random() < 0.5 ? 0 : int(1, ids.length);
      if (warmup > 0) withWarmup++;
      const expected = bruteForceHits(ids, capacity, warmup);
      const got = replayBeladyOpt(trace(ids), capacity, warmup).hits;
      if (got !== expected) throw new Error(`trace ${JSON.stringify(ids)}, capacity ${capacity}, warmup ${warmup}: OPT ${got}, exhaustive ${expected}`);
    }
    expect(withWarmup).toBeGreaterThan(2_000);
  });

  it('equals a plain O(n k) Belady on 200 seeded 8,000-request traces (where its heap is compacted)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const items = 20 + Math.floor(random() * 400);
      const capacity = 1 + Math.floor(random() * 40);
      const ids = Int32Array.from({ length: 8_000 }, () => Math.floor(random() * random() * items));
      const result = replayBeladyOpt({ name: 't', label: 't', requests: ids, keySpace: items }, capacity, 0);
      const expected = plainBeladyHits(ids, capacity);
      if (result.hits !== expected) throw new Error(`seed ${seed} (${items} items, capacity ${capacity}): OPT ${result.hits}, plain Belady ${expected}`);
      expect(result.requests).toBe(8_000);
      expect(result.hitRate).toBe(result.hits / 8_000);
    }
  });

  it('declines to admit an item requested later than every resident (bypass)', () => {
    // capacity 1: keeping 0 and refusing 1 makes the last request a hit
    expect(replayBeladyOpt(trace([0, 1, 0]), 1, 0)).toEqual({ requests: 3, hits: 1, hitRate: 1 / 3, evictions: 0, bypasses: 1 });
  });

  it('evicts an item never requested again before any other', () => {
    // capacity 2: after its hit, 0 is never requested again, so 2 takes its place (not 1's)
    expect(replayBeladyOpt(trace([0, 1, 0, 2, 1, 2]), 2, 0)).toEqual({ requests: 6, hits: 3, hitRate: 3 / 6, evictions: 1, bypasses: 0 });
    // and an item never requested again is not admitted, even into free room
    expect(replayBeladyOpt(trace([0, 1, 0]), 2, 0)).toEqual({ requests: 3, hits: 1, hitRate: 1 / 3, evictions: 0, bypasses: 1 });
  });

  it('counts from the warm-up on, starting from the best state a warm-up could leave', () => {
    // Belady from an empty cache would hold 1 after the warm-up [0, 1, 1]; the best warm cache holds 0
    expect(replayBeladyOpt(trace([0, 1, 1, 0]), 1, 3)).toEqual({ requests: 1, hits: 1, hitRate: 1, evictions: 0, bypasses: 0 });
    // an item first requested after the warm-up cannot be in the cache when counting starts
    expect(replayBeladyOpt(trace([0, 0, 1]), 1, 2).hits).toBe(0);
  });

  it('refuses a cache size below 1', () => {
    expect(() => replayBeladyOpt(trace([0]), 0, 0)).toThrow(RangeError);
  });
});

describe('best online policy: keep the k most probable items (samples/hit-rate/best-online.ts)', () => {
  it('its expected hit ratio is the sum of the k largest probabilities', () => {
    // Zipf alpha=1 over 5 items: p_i = (1 / i) / H_5, H_5 = 137/60; top 2: (1 + 1/2) / H_5 = 90/137
    const zipf = zipfProbabilities(5, 1);
    expect(topKHitRatio(zipf, 2)).toBeCloseTo(90 / 137, 14);
    expect(topKHitRatio(zipf, 0)).toBe(0);
    expect(topKHitRatio(zipf, 5)).toBeCloseTo(1, 14);
    expect(topKHitRatio(zipf, 50)).toBeCloseTo(1, 14);
    // order does not matter: the largest are picked wherever they are
    expect(topKHitRatio(Float64Array.from([0.1, 0.4, 0.2, 0.3]), 2)).toBeCloseTo(0.7, 15);
  });

  it('replayed on a Zipf trace it matches its expected value within 4 standard deviations', () => {
    const items = 2_000;
    const alpha = 0.8;
    const workload = zipfWorkload({ items, alpha, requests: 60_000, seed: 3 });
    const probabilities = zipfProbabilities(items, alpha);
    for (const capacity of [10, 100, 500]) {
      const expected = topKHitRatio(probabilities, capacity);
      const replayed = replayTopK(workload, probabilities, capacity, 10_000);
      expect(replayed.requests).toBe(50_000);
      const sd = Math.sqrt((expected * (1 - expected)) / replayed.requests);
      expect(Math.abs(replayed.hitRate - expected)).toBeLessThan(4 * sd);
    }
  });

  it('admits only the k most probable items, and never evicts', () => {
    // probabilities rank 2, 0, 1; capacity 2 keeps 2 and 0: requests of 1 always miss
    const replayed = replayTopK(trace([1, 0, 2, 1, 0, 2, 1]), Float64Array.from([0.3, 0.1, 0.6]), 2, 0);
    expect(replayed).toEqual({ requests: 7, hits: 2, hitRate: 2 / 7 });
  });
});
