/**
 * ItemStates (the flusher's items by state) against a reference model: seeded histories of calls
 * over a keyspace larger than the map's allowance of vacant places, batches taken, and items
 * settled in any order. After every step every question by key (the newest item, whether a call
 * would coalesce, the unsettled items newest first), the counts, the unsettled items as a set and
 * the ready order must be the model's; and the map never holds more than its allowance of keys
 * whose writes all settled beyond four times the unsettled items (keys of settled writes keep
 * their place, so a queue that fills and drains over the same keys does not rehash them, but an
 * ever-new keyspace does not grow the map without bound).
 */
import fc from 'fast-check';
import { ItemStates } from '../../src/write-behind/item-states.js';
import type { WriteItem } from '../../src/write-behind/write-item.js';

const VACANT_KEPT = 4;

type Op = { kind: 'call'; key: number } | { kind: 'take'; n: number } | { kind: 'settle'; pick: number };

const opArb = (keys: number): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('call' as const), key: fc.nat(keys - 1) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('take' as const), n: fc.integer({ min: 1, max: 4 }) }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(1_000) }) },
  );

let seq = 0;
function newItem(key: string, previous: WriteItem | undefined): WriteItem {
  return { key, seq: ++seq, state: 'new', previous, next: undefined, compacting: undefined, settled: undefined } as unknown as WriteItem;
}

/** The model: per key its item in flight and its queued item; the ready items in order. */
interface KeyModel {
  inflight?: WriteItem;
  queued?: WriteItem;
}

function run(ops: readonly Op[], keys: number): void {
  const states = new ItemStates(VACANT_KEPT);
  const model = new Map<string, KeyModel>();
  const ready: WriteItem[] = [];
  const inflight: WriteItem[] = [];
  const keyOf = (k: number) => `key-${k}`;
  for (const o of ops) {
    if (o.kind === 'call') {
      const key = keyOf(o.key);
      const m = model.get(key) ?? {};
      model.set(key, m);
      if (m.queued !== undefined) {
        expect(states.isQueued(key)).toBe(true); // the flusher coalesces into it: no new item
        continue;
      }
      const item = newItem(key, m.inflight);
      states.add(item, states.newestOf(key));
      m.queued = item;
      if (m.inflight === undefined) ready.push(item);
    } else if (o.kind === 'take') {
      const taken = states.takeReady(o.n);
      expect(taken).toEqual(ready.splice(0, o.n));
      for (const item of taken) {
        const m = model.get(item.key)!;
        m.inflight = item;
        m.queued = undefined;
        inflight.push(item);
      }
    } else if (inflight.length > 0) {
      const [item] = inflight.splice(o.pick % inflight.length, 1);
      const m = model.get(item!.key)!;
      const next = states.settle(item!);
      m.inflight = undefined;
      expect(next).toBe(m.queued);
      if (next !== undefined) ready.push(next);
    }
    // every question by key, and the counts
    let unsettled = 0;
    const expected = new Set<WriteItem>();
    for (let k = 0; k < keys; k++) {
      const key = keyOf(k);
      const m = model.get(key) ?? {};
      const items = [m.queued, m.inflight].filter((i): i is WriteItem => i !== undefined);
      unsettled += items.length;
      items.forEach((i) => expected.add(i));
      expect(states.newestOf(key)).toBe(m.queued ?? m.inflight);
      expect(states.isQueued(key)).toBe(m.queued !== undefined);
      expect(states.unsettledOf(key)).toEqual(items);
    }
    expect(states.size).toBe(unsettled);
    expect(states.readyCount).toBe(ready.length);
    expect(states.inFlightCount).toBe(inflight.length);
    expect(new Set(states.unsettledItems())).toEqual(expected);
    expect(states.placesHeld).toBeLessThanOrEqual(VACANT_KEPT + 4 * unsettled);
  }
}

describe('ItemStates', () => {
  it('answers every question by key as the model does, and keeps at most its allowance of vacant places', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 24 }).chain((keys) => fc.tuple(fc.constant(keys), fc.array(opArb(keys), { minLength: 20, maxLength: 200 }))),
        ([keys, ops]) => run(ops, keys),
      ),
      { numRuns: 120, seed: 2026_12_08 },
    );
  });

  it('a queue that fills and drains over 100,000 new keys ends holding no more than the allowance', () => {
    const states = new ItemStates(VACANT_KEPT);
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 1_000; i++) {
        const key = `r${round}-${i}`;
        states.add(newItem(key, undefined), states.newestOf(key));
      }
      for (const item of states.takeReady(1_000)) states.settle(item);
      expect(states.size).toBe(0);
      expect(states.placesHeld).toBeLessThanOrEqual(VACANT_KEPT);
    }
  });
});
