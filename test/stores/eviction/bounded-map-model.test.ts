import fc from 'fast-check';
import type { EvictionPolicy } from '../../../src/options/memory-store.js';
import { createBoundedMap, EVICTION_POLICIES } from '../../../src/stores/memory/eviction/create-bounded-map.js';

type Op = { kind: 'set'; key: number; size: number; value: number } | { kind: 'get'; key: number } | { kind: 'delete'; key: number };

const op = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(24), size: fc.integer({ min: 1, max: 12 }), value: fc.nat() }),
  fc.record({ kind: fc.constant('get' as const), key: fc.nat(24) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(24) }),
);

/**
 * Replays random operations against a policy and a plain model (the last value and size set
 * under each key, minus what the policy reported evicted or what was deleted): the policy
 * must agree with the model at every step and stay within both bounds.
 */
function agreesWithModel(policy: EvictionPolicy, maxEntries: number, maxSize: number, ops: Op[]): void {
  const model = new Map<string, { value: number; size: number }>();
  const evictions: string[] = [];
  const map = createBoundedMap<{ value: number }>(policy, {
    maxEntries,
    maxSize,
    onEvict: (key) => {
      expect(model.has(key)).toBe(true); // only entries that were held are reported
      evictions.push(key);
      model.delete(key);
    },
  });
  const sized = Number.isFinite(maxSize);
  for (const o of ops) {
    const key = `k${o.key}`;
    if (o.kind === 'set') {
      evictions.length = 0;
      const weight = sized ? o.size : 1;
      if (weight > maxSize) model.delete(key);
      else model.set(key, { value: o.value, size: weight });
      map.set(key, { value: o.value }, o.size);
      // LRU and LFU never evict the entry being written; W-TinyLFU's admission may refuse it.
      if (policy !== 'tinylfu') expect(evictions.includes(key)).toBe(false);
    } else if (o.kind === 'get') {
      expect(map.get(key)?.value).toBe(model.get(key)?.value);
    } else {
      expect(map.delete(key)).toBe(model.delete(key));
    }
    expect(map.size).toBe(model.size);
    expect(map.size).toBeLessThanOrEqual(maxEntries);
    let total = 0;
    for (const entry of model.values()) total += entry.size;
    expect(total).toBeLessThanOrEqual(maxSize);
  }
  for (const [key, entry] of model) expect(map.get(key)?.value).toBe(entry.value);
  map.clear();
  expect(map.size).toBe(0);
}

describe.each(EVICTION_POLICIES)('%s map against a model', (policy) => {
  it('holds exactly the entries not evicted or deleted, within maxEntries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { minLength: 30, maxLength: 300 }), (maxEntries, ops) => {
        agreesWithModel(policy, maxEntries, Infinity, ops);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('holds exactly the entries not evicted or deleted, within maxEntries and maxSize', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.array(op, { minLength: 30, maxLength: 300 }), (maxEntries, maxSize, ops) => {
        agreesWithModel(policy, maxEntries, maxSize, ops);
      }),
      { numRuns: 150, seed: 11 },
    );
  });
});
