import type { EvictionPolicy } from '../../../src/options/memory-store.js';
import { createBoundedMap, EVICTION_POLICIES } from '../../../src/stores/memory/eviction/create-bounded-map.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';
import { cheLruHitRatio } from '../../../samples/hit-rate/che.js';
import { zipfProbabilities, zipfWorkload } from '../../../samples/hit-rate/workloads.js';

/** The workload of the Core issue: 10,000 items, Zipf alpha 0.8, a cache of 1,000 entries. */
const ITEMS = 10_000;
const ALPHA = 0.8;
const CAPACITY = 1_000;
const REQUESTS = 400_000;
const WARMUP = 100_000;

const workload = zipfWorkload({ items: ITEMS, alpha: ALPHA, requests: REQUESTS, seed: 42 });
const keys = Array.from({ length: ITEMS }, (_, i) => `item:${i}`);

interface Replay {
  hits: number;
  misses: number;
  evictions: number;
  /** Hits that returned another item's value (must stay 0). */
  wrongValues: number;
}

/** Cache-aside against a bare bounded map: get; on a miss, set. Hits counted after the warm-up. */
function replayMap(policy: EvictionPolicy): Replay {
  let evictions = 0;
  const map = createBoundedMap<object>(policy, { maxEntries: CAPACITY, maxSize: Infinity, onEvict: () => evictions++ });
  const value = {};
  let hits = 0;
  let misses = 0;
  workload.requests.forEach((id, i) => {
    const key = keys[id]!;
    if (map.get(key) !== undefined) {
      if (i >= WARMUP) hits++;
    } else {
      misses++;
      map.set(key, value, 1);
    }
  });
  return { hits, misses, evictions, wrongValues: 0 };
}

/** The same through MemoryStore's async read/write API. */
async function replayStore(policy: EvictionPolicy): Promise<Replay> {
  const store = new MemoryStore({ maxEntries: CAPACITY, policy });
  let evictions = 0;
  store.attach({ onEvict: () => evictions++ });
  let hits = 0;
  let misses = 0;
  let wrongValues = 0;
  const requests = workload.requests;
  for (let i = 0; i < requests.length; i++) {
    const id = requests[i]!;
    const key = keys[id]!;
    const { entry } = await store.read(key, []);
    if (entry !== undefined && entry.d !== 1) {
      if (entry.v !== id) wrongValues++;
      if (i >= WARMUP) hits++;
    } else {
      misses++;
      await store.write(key, { v: id, g: 1 }, 0);
    }
  }
  return { hits, misses, evictions, wrongValues };
}

const measured = REQUESTS - WARMUP;
const che = cheLruHitRatio(zipfProbabilities(ITEMS, ALPHA), CAPACITY);
const maps = Object.fromEntries(EVICTION_POLICIES.map((p) => [p, replayMap(p)])) as Record<EvictionPolicy, Replay>;
const rate = (policy: EvictionPolicy) => maps[policy].hits / measured;

describe(`Zipf workload (N = ${ITEMS}, alpha = ${ALPHA}, capacity ${CAPACITY}, ${measured} requests after a ${WARMUP}-request warm-up)`, () => {
  it("Che's approximation for this workload is 43.7%", () => {
    expect(Math.round(che * 1000) / 10).toBe(43.7);
  });

  it("LRU's hit ratio is within 2 points of Che's approximation", () => {
    expect(Math.abs(rate('lru') - che)).toBeLessThanOrEqual(0.02);
  });

  it('LFU beats LRU', () => {
    expect(rate('lfu')).toBeGreaterThan(rate('lru') + 0.05);
  });

  it('W-TinyLFU beats LRU, and LFU', () => {
    expect(rate('tinylfu')).toBeGreaterThan(rate('lru') + 0.05);
    expect(rate('tinylfu')).toBeGreaterThan(rate('lfu'));
  });

  it.each(EVICTION_POLICIES)('evicts exactly one entry per miss once full (%s)', (policy) => {
    expect(maps[policy].evictions).toBe(maps[policy].misses - CAPACITY);
  });

  it.each(EVICTION_POLICIES)('MemoryStore with policy %s serves exactly the hits of that policy', async (policy) => {
    const store = await replayStore(policy);
    expect(store).toEqual(maps[policy]);
  });

  it('the three policies give three different hit counts (the store really switches policy)', () => {
    expect(new Set(EVICTION_POLICIES.map((p) => maps[p].hits)).size).toBe(3);
  });
});
