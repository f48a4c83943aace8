import fc from 'fast-check';
import { LRUCache } from 'lru-cache';
import { LruMap } from '../../../src/stores/memory/eviction/lru-map.js';

type Op =
  | { kind: 'set'; key: number; size: number; value: number }
  | { kind: 'get'; key: number }
  | { kind: 'delete'; key: number }
  | { kind: 'clear' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.nat(30), size: fc.integer({ min: 1, max: 14 }), value: fc.nat() }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('get' as const), key: fc.nat(30) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: fc.nat(30) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
);

/**
 * Replays the same operations on LruMap and on lru-cache, the library that backed the LRU policy
 * before (and whose order and evictions it keeps): every read, delete, size and eviction, in
 * order, must be the same.
 */
function sameAsLruCache(maxEntries: number, maxSize: number, ops: Op[]): void {
  const ours: string[] = [];
  const theirs: string[] = [];
  const map = new LruMap<number>({ maxEntries, maxSize, onEvict: (key) => ours.push(key) });
  const sized = Number.isFinite(maxSize);
  const reference = new LRUCache<string, { value: number }>({
    max: maxEntries,
    ...(sized ? { maxSize } : {}),
    dispose: (_value, key, reason) => {
      if (reason === 'evict') theirs.push(key);
    },
  });
  for (const o of ops) {
    if (o.kind === 'set') {
      map.set(`k${o.key}`, o.value, o.size);
      reference.set(`k${o.key}`, { value: o.value }, sized ? { size: o.size } : {});
    } else if (o.kind === 'get') {
      expect(map.get(`k${o.key}`)).toBe(reference.get(`k${o.key}`)?.value);
    } else if (o.kind === 'delete') {
      expect(map.delete(`k${o.key}`)).toBe(reference.delete(`k${o.key}`));
    } else {
      map.clear();
      reference.clear();
    }
    expect(ours).toEqual(theirs);
    expect(map.size).toBe(reference.size);
    expect(map.capacity).toBeLessThanOrEqual(maxEntries + 1);
  }
  // the recency order, least recent first, as lru-cache lists it
  const order = [...reference.rkeys()];
  for (const key of order) expect(map.get(key)).toBe(reference.get(key)!.value);
  map.set('extra', -1, 1);
  reference.set('extra', { value: -1 }, sized ? { size: 1 } : {});
  expect(ours).toEqual(theirs);
}

describe('LruMap against lru-cache (the same order, evictions and reads)', () => {
  it('a hit makes an entry the most recent', () => {
    sameAsLruCache(2, Infinity, [
      { kind: 'set', key: 1, size: 1, value: 1 },
      { kind: 'set', key: 2, size: 1, value: 2 },
      { kind: 'get', key: 1 },
      { kind: 'set', key: 3, size: 1, value: 3 },
    ]);
  });

  it('bounded by entries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.array(op, { minLength: 100, maxLength: 400 }), (maxEntries, ops) => sameAsLruCache(maxEntries, Infinity, ops)),
      { numRuns: 100, seed: 23 },
    );
  });

  it('bounded by entries and total size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 60 }), fc.array(op, { minLength: 100, maxLength: 400 }), (maxEntries, maxSize, ops) =>
        sameAsLruCache(maxEntries, maxSize, ops),
      ),
      { numRuns: 100, seed: 29 },
    );
  });

  it('reuses freed slots: churn through many keys never grows it beyond maxEntries + 1 slots', () => {
    const evicted: string[] = [];
    const map = new LruMap<number>({ maxEntries: 100, maxSize: Infinity, onEvict: (key) => evicted.push(key) });
    for (let i = 0; i < 10_000; i++) map.set(`k${i}`, i, 1);
    expect(evicted).toEqual(Array.from({ length: 9_900 }, (_, i) => `k${i}`));
    for (let i = 9_900; i < 9_950; i++) expect(map.delete(`k${i}`)).toBe(true);
    for (let i = 0; i < 50; i++) map.set(`new${i}`, i, 1);
    expect(map.size).toBe(100);
    expect(evicted.length).toBe(9_900);
    expect(map.capacity).toBe(101);
    expect(map.get('k9999')).toBe(9999);
    expect(map.get('new49')).toBe(49);
  });

  it('grows its slots with the entries held, not with maxEntries', () => {
    const map = new LruMap<number>({ maxEntries: 1_000_000, maxSize: Infinity, onEvict: () => {} });
    for (let i = 0; i < 100; i++) map.set(`k${i}`, i, 1);
    expect(map.capacity).toBe(128);
  });
});
