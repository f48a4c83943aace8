/**
 * MemoryStore keeps an entry's fields by slot (src/stores/memory/entry-columns.ts): a common
 * `{ v, g[, n] }` is taken apart and rebuilt on each read, any other entry is kept whole. These
 * tests attack what that layout could break: an entry that reads back different from what was
 * written (a field lost, added or changed), a number that does not fit a narrow column, an
 * expiry time moved, a slot reused with another entry's fields, and the generation checks.
 */
import { keepsPendingEntry, type StoredEntry } from '../../src/cache-store.js';
import type { EvictionPolicy } from '../../src/options/memory-store.js';
import { MemoryStore } from '../../src/index.js';
import { EVICTION_POLICIES } from '../../src/stores/memory/eviction/create-bounded-map.js';
import { estimateSize } from '../../src/stores/memory/estimate-size.js';
import { Prng } from '../campaign/prng.js';

/** A clock the test moves by hand. */
class ManualClock {
  constructor(public time: number) {}
  now() {
    return this.time;
  }
}

const NS = 'ck#n:ns';
const TAG = 'ck#t:red';

/** Entries of every shape a store is handed, by the runtime or by a custom caller. */
const SHAPES: Array<[string, StoredEntry]> = [
  ['common { v, g, n }', { v: { id: 1, name: 'lamp' }, g: 123456789012345, n: 0 }],
  ['common without n', { v: 'x', g: 7 }],
  ['an undefined value', { v: undefined, g: 8, n: 3 }],
  ['a null value', { v: null, g: 9, n: 0 }],
  ['a falsy value', { v: 0, g: 10, n: 0 }],
  ['n at the top of the narrow range', { v: 1, g: 11, n: 0xfffe }],
  ['n past the narrow range', { v: 1, g: 12, n: 0xffff }],
  ['a Redis counter as n', { v: 1, g: 13, n: 2 ** 51 + 12345 }],
  ['a negative n', { v: 1, g: 14, n: -1 }],
  ['a fractional n', { v: 1, g: 15, n: 1.5 }],
  ['-0 as n', { v: 1, g: 16, n: -0 }],
  ['tags', { v: 'tagged', g: 17, n: 0, t: { [TAG]: 4 } }],
  ['grace and refresh times', { v: 'timed', g: 18, n: 0, s: 1_000_500, r: 1_000_400, q: 1_060_500, b: 0 }],
  ['a tombstone', { g: 19, d: 1 }],
  ['a queued write-behind value', { v: 'queued', g: 20, w: 1 }],
  ['n undefined', { v: 1, g: 21, n: undefined }],
  ['a field of its own', { v: 1, g: 22, n: 0, extra: 'kept' } as StoredEntry],
  ['a NaN generation', { v: 1, g: NaN, n: 0 }],
  ['no v', { g: 23, n: 0 }],
];

/** A deep copy (what a model keeps, so nothing the store does to its objects can leak into it). */
function copy(entry: StoredEntry): StoredEntry {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(entry)) out[k] = k === 't' ? { ...(v as object) } : v;
  return out as unknown as StoredEntry;
}

describe.each(EVICTION_POLICIES)('MemoryStore entries (%s)', (policy: EvictionPolicy) => {
  it.each(SHAPES)('reads back %s exactly as written', async (_name, entry) => {
    const store = new MemoryStore({ policy, clock: new ManualClock(1_000_000) });
    const written = copy(entry);
    await store.write('ck:ns:k', written, 60_000);
    expect((await store.read('ck:ns:k', [NS])).entry).toStrictEqual(entry);
    expect(store.readSync('ck:ns:k', [NS]).entry).toStrictEqual(entry);
    expect(written).toStrictEqual(entry); // the store changed nothing in the object it was given
  });

  it('returns the very object written for an entry with times, so a backoff set on it is read again', async () => {
    const store = new MemoryStore({ policy, clock: new ManualClock(1_000_000) });
    const entry: StoredEntry = { v: 'timed', g: 5, n: 0, s: 1_000_100, q: 1_100_000, b: 0 };
    await store.write('ck:ns:k', entry, 200_000);
    const read = store.readSync('ck:ns:k', [NS]).entry!;
    expect(read).toBe(entry);
    read.b = 1_000_700; // what the runtime does after a failed reload within grace
    expect(store.readSync('ck:ns:k', [NS]).entry!.b).toBe(1_000_700);
  });

  it('hands the same value object to every read of a common entry, in a new entry object each time', async () => {
    const store = new MemoryStore({ policy });
    const value = { id: 1 };
    await store.write('ck:ns:k', { v: value, g: 1, n: 0 }, 0);
    const a = store.readSync('ck:ns:k', [NS]).entry!;
    const b = store.readSync('ck:ns:k', [NS]).entry!;
    expect(a.v).toBe(value);
    expect(b.v).toBe(value);
    a.n = 99; // a caller writing into its entry changes nothing stored
    expect(b).toStrictEqual({ v: value, g: 1, n: 0 });
    expect(store.readSync('ck:ns:k', [NS]).entry).toStrictEqual({ v: value, g: 1, n: 0 });
  });

  it('keeps every narrow version and expiry exact when a wider one arrives (the columns widen once)', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const store = new MemoryStore({ policy, clock });
    await store.write('ck:ns:a', { v: 'a', g: 1, n: 7 }, 5_000);
    await store.write('ck:ns:b', { v: 'b', g: 2 }, 0);
    await store.write('ck:ns:c', { v: 'c', g: 3, n: 2 ** 40 }, 40 * 86_400_000); // both columns widen here
    await store.write('ck:ns:d', { v: 'd', g: 4, n: 65_534 }, 7_000);
    expect((await store.read('ck:ns:a', [])).entry).toStrictEqual({ v: 'a', g: 1, n: 7 });
    expect((await store.read('ck:ns:b', [])).entry).toStrictEqual({ v: 'b', g: 2 });
    expect((await store.read('ck:ns:c', [])).entry).toStrictEqual({ v: 'c', g: 3, n: 2 ** 40 });
    clock.time += 4_999;
    expect((await store.read('ck:ns:a', [])).entry).toStrictEqual({ v: 'a', g: 1, n: 7 });
    clock.time += 1;
    expect((await store.read('ck:ns:a', [])).entry?.v).toBeUndefined(); // expired (a miss)
    clock.time += 2_000;
    expect((await store.read('ck:ns:d', [])).entry?.v).toBeUndefined();
    clock.time = 1_700_000_000_000 + 40 * 86_400_000 - 1;
    expect((await store.read('ck:ns:c', [])).entry).toStrictEqual({ v: 'c', g: 3, n: 2 ** 40 });
    clock.time += 1;
    expect((await store.read('ck:ns:c', [])).entry?.v).toBeUndefined();
  });

  it('expires at the exact millisecond whatever the clock does: far ahead, backwards, fractional', async () => {
    const clock = new ManualClock(0);
    const store = new MemoryStore({ policy, clock });
    const expect_ = async (key: string, at: number) => {
      clock.time = at - 0.25;
      expect((await store.read(key, [])).entry?.v).toBe(key);
      clock.time = at;
      expect((await store.read(key, [])).entry?.v).toBeUndefined();
    };
    await store.write('a', { v: 'a', g: 1 }, 1_000); // the first expiry sets the narrow epoch
    clock.time = 60 * 86_400_000; // 60 days later: past the narrow reach
    await store.write('b', { v: 'b', g: 2 }, 1_000);
    clock.time = -5 * 86_400_000; // a clock moved backwards
    await store.write('c', { v: 'c', g: 3 }, 1_000);
    clock.time = 10.5; // fractional
    await store.write('d', { v: 'd', g: 4 }, 0.25);
    await expect_('d', 10.75);
    await expect_('c', -5 * 86_400_000 + 1_000);
    await expect_('a', 1_000);
    await expect_('b', 60 * 86_400_000 + 1_000);
  });
});

/**
 * A seeded random history against a plain model (the last entry written under each key, a deep
 * copy, with its expiry time; the counters): every read of every key must agree with it. Keys
 * the store evicts for room (reported through `onEvict`) leave the model too, so the check holds
 * with a small `maxEntries`, where slots are freed and reused all the time.
 */
async function randomHistory(policy: EvictionPolicy, seed: number, maxEntries: number, maxBytes: number, copyOnRead: boolean): Promise<void> {
  const prng = new Prng(seed);
  const pick = <T>(items: readonly T[]): T => items[prng.int(0, items.length - 1)]!;
  const keys = Array.from({ length: 24 }, (_, i) => `ck:ns:k${i}`);
  const clock = new ManualClock(prng.chance(0.5) ? 1_700_000_000_000 : 0);
  const store = new MemoryStore({ policy, maxEntries, maxBytes, clock, copyOnRead });
  const model = new Map<string, { entry: StoredEntry; expiresAt: number }>();
  const counters = new Map<string, number>();
  store.attach({ onEvict: (key) => void model.delete(key) });
  let g = 1;

  const counter = (k: string) => counters.get(k) ?? 0;
  const randomEntry = (): StoredEntry => {
    const v = pick<unknown>([{ id: prng.int(0, 99) }, 'text', 0, '', null, undefined, [1, 2], 'x'.repeat(prng.int(0, 250))]);
    const n = prng.chance(0.1) ? pick([0xffff, 2 ** 51 + prng.int(0, 9), -3, 2.5]) : counter(NS);
    switch (prng.int(0, 9)) {
      case 0:
        return { v, g: g++ };
      case 1:
        return { v, g: g++, n, t: { [TAG]: counter(TAG) } };
      case 2:
        return { v, g: g++, n, s: clock.time + 500, r: clock.time + 400, q: clock.time + 5_000, b: 0 };
      case 3:
        return { g: g++, d: 1 };
      case 4:
        return { v, g: g++ * 2 ** 21 + prng.int(0, 5), w: 1 };
      default:
        return { v, g: g++, n };
    }
  };
  const ttl = () => pick([0, prng.int(1, 3_000), prng.int(1, 3_000), 40 * 86_400_000, 0.5]);
  const live = (key: string) => {
    const held = model.get(key);
    if (held !== undefined && held.expiresAt !== 0 && held.expiresAt <= clock.time) model.delete(key);
    return model.get(key);
  };
  // what MemoryStore refuses to hold (its size estimate of the value, plus the key)
  const big = (key: string, entry: StoredEntry) => maxBytes !== Infinity && estimateSize(entry.v) + key.length * 2 > maxBytes;

  for (let step = 0; step < 600; step++) {
    const key = pick(keys);
    const what = prng.int(0, 99);
    // (the model is updated before each write: a write may evict, even the key written, and
    // onEvict takes it out of the model)
    if (what < 30) {
      const entry = randomEntry();
      const ms = ttl();
      if (big(key, entry)) model.delete(key);
      else model.set(key, { entry, expiresAt: ms > 0 ? clock.time + ms : 0 });
      expect(store.writeSync(key, copy(entry), ms)).toBe(!big(key, entry));
    } else if (what < 45) {
      // a populate under a lease: the generation read now (must succeed), or an older one (must fail)
      const read = store.readSync(key, [NS]).entry;
      const stale = prng.chance(0.3);
      const entry = { v: prng.int(0, 9), g: g++, n: counter(NS) };
      if (!stale) model.set(key, { entry, expiresAt: clock.time + 10_000 });
      expect(await store.writeIf(key, copy(entry), 10_000, stale ? -1 : read?.g)).toBe(!stale);
    } else if (what < 52) {
      const writer = prng.chance(0.5) ? undefined : prng.int(0, 5);
      const kept = keepsPendingEntry(live(key)?.entry, writer);
      const tombstone = { g: g++, d: 1 as const };
      if (!kept) model.set(key, { entry: tombstone, expiresAt: clock.time + 5_000 });
      expect(await store.writeTombstone(key, copy(tombstone), 5_000, writer)).toBe(!kept);
    } else if (what < 57) {
      // a record past its expiry that the store has not noticed yet may count as deleted or not
      const state = !model.has(key) ? 0 : live(key) !== undefined ? 1 : undefined;
      const deleted = await store.delete([key]);
      if (state !== undefined) expect(deleted).toBe(state);
      model.delete(key);
    } else if (what < 62) {
      const k = pick([NS, TAG]);
      const [next] = store.bumpSync([k]);
      counters.set(k, counter(k) + 1);
      expect(next).toBe(counter(k));
    } else if (what < 72) {
      clock.time += pick([1, prng.int(0, 2_000), 30 * 86_400_000, -prng.int(0, 500)]);
    } else if (what < 73) {
      await store.clear();
      model.clear();
      counters.clear();
    } else {
      const read = store.readSync(key, [NS, TAG]);
      expect(read.versions).toEqual([counter(NS), counter(TAG)]);
      const held = live(key);
      if (held === undefined) {
        // no record: no entry, or a tombstone of the key's bucket (see absent-generations.ts)
        expect(read.entry === undefined || (read.entry.d === 1 && Object.keys(read.entry).length === 2)).toBe(true);
      } else {
        expect(read.entry).toStrictEqual(held.entry);
      }
    }
    expect(store.size).toBeLessThanOrEqual(maxEntries);
  }
  // every key, at the end
  for (const key of keys) {
    const held = live(key);
    const entry = store.readSync(key, []).entry;
    if (held !== undefined) expect(entry).toStrictEqual(held.entry);
    else expect(entry === undefined || entry.d === 1).toBe(true);
  }
}

describe.each(EVICTION_POLICIES)('MemoryStore (%s) against a model of its entries, seeded', (policy: EvictionPolicy) => {
  const seeds = Array.from({ length: 12 }, (_, i) => 1_000 + i);
  it.each(seeds)('seed %i, room for every key', (seed) => randomHistory(policy, seed, 1_000, Infinity, false));
  it.each(seeds)('seed %i, 6 entries at most (evictions reuse slots)', (seed) => randomHistory(policy, seed, 6, Infinity, false));
  it.each(seeds.slice(0, 4))('seed %i, 6 entries and 400 bytes at most, copyOnRead', (seed) => randomHistory(policy, seed, 6, 400, true));
});
