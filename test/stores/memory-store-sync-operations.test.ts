import fc from 'fast-check';
import { MemoryStore } from '../../src/index.js';
import type { KeyScope, ReadResult, StoredEntry, SyncOperations } from '../../src/cache-store.js';
import type { EvictionPolicy } from '../../src/options/memory-store.js';
import { CacheEventEmitter, type CacheEvents } from '../../src/runtime/events.js';

type StoreEvent = CacheEvents['store'];
import { TimedStore } from '../../src/runtime/timed-store.js';

// MemoryStore.syncOperations answers at once what the asynchronous operations answer; its `write`
// returns where it put the entry, and `writeIf` takes that back as a hint. A hint is only a hint:
// a seeded history of sync writes and compare-and-sets, each given the key's own last hint, its
// look-alike's, another key's, a made-up number or none, must give exactly what the same history gives through
// the asynchronous operations by key: every read, every compare-and-set, every eviction in order,
// the size. Evictions reuse slots (a stale hint then points at another key), expiry and deletes
// free them, and reads by part refile entries written whole (their slot then holds a part). The
// keys include a look-alike pair: the whole key `a` and the part `a` of the quoted scope `''`
// (whose full key is `"a"`), so a hint that is checked against the part alone finds the wrong entry.

const SCOPE = 'ck:ns:';
interface Target {
  key: string;
  /** How a read by part addresses it (kind and part in `scope`), if it can be. */
  part?: { scope: string; kind: 0 | 1; part: string | number };
}
const TARGETS: readonly Target[] = [
  { key: `${SCOPE}"a"`, part: { scope: SCOPE, kind: 0, part: 'a' } },
  { key: `${SCOPE}42`, part: { scope: SCOPE, kind: 1, part: 42 } },
  { key: `${SCOPE}x:y`, part: { scope: SCOPE, kind: 1, part: 'x:y' } },
  { key: `${SCOPE}"b"`, part: { scope: SCOPE, kind: 0, part: 'b' } },
  { key: '"a"', part: { scope: '', kind: 0, part: 'a' } },
  { key: 'a' },
  { key: 'other' },
];
/** Each target's look-alike (the other of the pair `"a"` and `a`), else a neighbour: the `partner` hint is its hint. */
const PARTNER = [3, 2, 1, 0, 5, 4, 0];

type Op =
  | { op: 'read' | 'readPart' | 'write' | 'tombstone' | 'delete'; at: number; value: number }
  | { op: 'writeIf'; at: number; value: number; hint: 'own' | 'partner' | 'other' | 'made-up' | 'none'; other: number; madeUp: number }
  | { op: 'tick' | 'clear' };

const at = fc.nat(TARGETS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constantFrom('read' as const, 'readPart' as const, 'write' as const, 'tombstone' as const, 'delete' as const), at, value: fc.nat(20) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('writeIf' as const),
      at,
      value: fc.nat(20),
      hint: fc.constantFrom('own' as const, 'partner' as const, 'other' as const, 'made-up' as const, 'none' as const),
      other: at,
      madeUp: fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(1.5, 2 ** 31, Number.NaN)),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom({ op: 'tick' as const }, { op: 'clear' as const }) },
);

/** What a read shows, generation left out only for tombstones' (the values carry their generations). */
const shape = (r: ReadResult) => (r.entry === undefined ? 'none' : r.entry.d === 1 ? 'tombstone' : `value ${String(r.entry.v)} g${r.entry.g}`);

async function replay(ops: readonly Op[], policy: EvictionPolicy, maxBytes: number | undefined, sync: boolean): Promise<string[]> {
  let now = 1_000;
  const store = new MemoryStore({ maxEntries: 4, policy, clock: { now: () => now }, ...(maxBytes ? { maxBytes } : {}) });
  const ops$ = store.syncOperations()!;
  const trace: string[] = [];
  store.attach({ onEvict: (key) => trace.push(`evict ${key}`) });
  const scopes = new Map<string, KeyScope>();
  const scopeOf = (p: NonNullable<Target['part']>) => {
    const name = `${p.kind}${p.scope}`;
    let scope = scopes.get(name);
    if (scope === undefined) scopes.set(name, (scope = store.keyScope(p.scope, p.kind)!));
    return scope;
  };
  /** Each key's last lease (the generation its last read saw) and last hint (sync write's answer). */
  const leases = new Map<number, number | undefined>();
  const hints = new Map<number, number>();
  for (const o of ops) {
    if (o.op === 'tick') now += 400;
    else if (o.op === 'clear') await store.clear();
    else if ('at' in o) {
      const target = TARGETS[o.at]!;
      const key = target.key;
      // generations shared between keys on purpose: only the hint tells their entries apart
      const entry: StoredEntry = { v: `v${o.value}`, g: o.value + 1, n: 0 };
      switch (o.op) {
        case 'read':
        case 'readPart': {
          const read = o.op === 'readPart' && target.part !== undefined ? scopeOf(target.part).readSync(target.part.part, []) : store.readSync(key, []);
          leases.set(o.at, read.entry?.g);
          trace.push(`read ${key} ${shape(read)}`);
          break;
        }
        case 'write': {
          const ttlMs = o.value % 3 === 0 ? 0 : 1_000;
          if (sync) hints.set(o.at, ops$.write(key, entry, ttlMs));
          else await store.write(key, entry, ttlMs);
          break;
        }
        case 'writeIf': {
          const expected = leases.get(o.at);
          let ok: boolean;
          if (sync) {
            const hint =
              o.hint === 'own' ? hints.get(o.at) : o.hint === 'partner' ? hints.get(PARTNER[o.at]!) : o.hint === 'other' ? hints.get(o.other) : o.hint === 'made-up' ? o.madeUp : undefined;
            ok = ops$.writeIf(key, entry, 1_000, expected, hint);
          } else {
            ok = await store.writeIf(key, entry, 1_000, expected);
          }
          trace.push(`writeIf ${key} ${ok}`);
          break;
        }
        case 'tombstone':
          await store.writeTombstone(key, { g: o.value + 1, d: 1 }, 1_000);
          break;
        case 'delete':
          trace.push(`delete ${key} ${await store.delete([key])}`);
          break;
      }
    }
    trace.push(`size ${store.size}`);
  }
  return trace;
}

describe('MemoryStore sync operations', () => {
  for (const policy of ['lru', 'lfu', 'tinylfu'] as EvictionPolicy[]) {
    for (const maxBytes of [undefined, 160]) {
      it(`${policy}${maxBytes ? ', maxBytes' : ''}: a history through the sync operations, with any hints, is the same as through the asynchronous ones`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 150 }), async (ops) => {
            expect(await replay(ops, policy, maxBytes, true)).toEqual(await replay(ops, policy, maxBytes, false));
          }),
          { numRuns: 1_000, seed: 2026_12_08 },
        );
      });
    }
  }

  it("a hint to the slot of a look-alike filed by part (the part `a` of key `\"a\"`) is not the key `a`'s entry", () => {
    const store = new MemoryStore();
    const sync = store.syncOperations()!;
    const hint = sync.write('"a"', { v: 'quoted', g: 5, n: 0 }, 0);
    expect(store.keyScope('', 0)!.readSync('a', []).entry?.v).toBe('quoted'); // refiled under its part 'a'
    expect(sync.writeIf('a', { v: 'bare', g: 9, n: 0 }, 0, 5, hint)).toBe(false); // 'a' holds nothing of generation 5
    expect(sync.writeIf('a', { v: 'bare', g: 9, n: 0 }, 0, undefined, hint)).toBe(true);
    expect(store.readSync('"a"', []).entry).toEqual({ v: 'quoted', g: 5, n: 0 });
    expect(store.readSync('a', []).entry).toEqual({ v: 'bare', g: 9, n: 0 });
  });

  it('readVersions answers the counters the asynchronous read answers', async () => {
    const store = new MemoryStore();
    await store.bump(['ns', 'tag']);
    await store.bump(['tag']);
    const sync = store.syncOperations()!;
    expect(sync.readVersions(['ns', 'tag', 'none'])).toEqual(await store.readVersions(['ns', 'tag', 'none']));
    expect(sync.readVersions(['tag'])).toEqual([2]);
    expect(sync.readVersions([])).toEqual([]);
  });

  it('a subclass or an instance that replaced an operation gets none: its overrides keep seeing every call', () => {
    class Recording extends MemoryStore {
      override write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
        return super.write(key, entry, ttlMs);
      }
    }
    class Versions extends MemoryStore {
      override readVersions(versionKeys: readonly string[]): Promise<number[]> {
        return super.readVersions(versionKeys);
      }
    }
    expect(new Recording().syncOperations()).toBeUndefined();
    expect(new Versions().syncOperations()).toBeUndefined();
    const instance = new MemoryStore();
    instance.writeIf = () => Promise.resolve(false);
    expect(instance.syncOperations()).toBeUndefined();
    expect(new MemoryStore().syncOperations()).toBeDefined();
  });

  describe('through the runtime (TimedStore)', () => {
    it('each sync operation is announced by the store event like its asynchronous one, while anyone listens', () => {
      const events = new CacheEventEmitter();
      const timed = new TimedStore(new MemoryStore({ name: 'mem' }), events);
      const sync = timed.syncOperations!()!;
      const seen: StoreEvent[] = [];
      sync.write('k', { v: 1, g: 1, n: 0 }, 0); // nobody listens: not announced
      const off = events.on('store', (event) => seen.push(event));
      const hint = sync.write('k', { v: 2, g: 2, n: 0 }, 0);
      expect(sync.writeIf('k', { v: 3, g: 3, n: 0 }, 0, 2, hint)).toBe(true);
      expect(sync.writeIf('k', { v: 4, g: 4, n: 0 }, 0, 2, hint)).toBe(false);
      expect(sync.readVersions(['ns'])).toEqual([0]);
      off();
      sync.write('k', { v: 5, g: 5, n: 0 }, 0);
      expect(seen.map(({ store, operation, outcome }) => `${store} ${operation} ${outcome}`)).toEqual(['mem write ok', 'mem writeIf ok', 'mem writeIf ok', 'mem readVersions ok']);
      expect(seen.every((e) => e.durationMs >= 0)).toBe(true);
      expect(timed.readSync!('k', [])!.entry?.v).toBe(5);
    });

    it('a sync operation that throws is announced as an error and throws the same error', () => {
      const events = new CacheEventEmitter();
      const failure = new Error('disk full');
      class Failing extends MemoryStore {
        override syncOperations(): SyncOperations {
          return {
            readVersions: () => [0],
            write: () => {
              throw failure;
            },
            writeIf: () => false,
          };
        }
      }
      const timed = new TimedStore(new Failing({ name: 'failing' }), events);
      const seen: StoreEvent[] = [];
      events.on('store', (event) => seen.push(event));
      expect(() => timed.syncOperations!()!.write('k', { v: 1, g: 1 }, 0)).toThrow(failure);
      expect(seen.map(({ operation, outcome }) => `${operation} ${outcome}`)).toEqual(['write error']);
    });

    it('a store without sync operations has none through the runtime either', () => {
      const events = new CacheEventEmitter();
      class Plain extends MemoryStore {
        override write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
          return super.write(key, entry, ttlMs);
        }
      }
      expect(new TimedStore(new Plain(), events).syncOperations!()).toBeUndefined();
    });
  });
});
