import fc from 'fast-check';
import { MemoryStore } from '../../src/index.js';
import type { KeyScope, ReadResult, StoredEntry } from '../../src/cache-store.js';
import type { EvictionPolicy } from '../../src/options/memory-store.js';
import { quoteKeyString } from '../../src/stores/key-parts.js';

// MemoryStore.keyScope addresses an entry by its part; every other operation by full key. Both
// must be one entry: a seeded history of operations, each by part or by full key at random, on
// one store, must give exactly what the same history gives on another store addressed by full
// key only: every read (value, tombstone or nothing), every compare-and-set, every eviction in
// order, the size. Small bounds evict often; a clock expires entries; deletes, expiry, evictions
// and clears leave tombstones (absent generations) that a lease by part must honour too.

const SCOPE = 'ck:ns:';
/** Parts of both kinds: quoted strings (kind 0) and numbers or texts (kind 1), with look-alikes. */
const PARTS: readonly { kind: 0 | 1; part: string | number }[] = [
  { kind: 0, part: 'a' },
  { kind: 0, part: '42' },
  { kind: 0, part: 'a:b' },
  { kind: 0, part: '😀' },
  { kind: 0, part: 'a"b' },
  { kind: 0, part: '\ud800' },
  { kind: 1, part: 42 },
  { kind: 1, part: -1.5 },
  { kind: 1, part: NaN },
  { kind: 1, part: 'a' },
  { kind: 1, part: 'x:y' },
];
const keyOf = ({ kind, part }: (typeof PARTS)[number]) => SCOPE + (kind === 0 ? quoteKeyString(part as string) : String(part));

type Op =
  | { op: 'read' | 'writeIf' | 'write' | 'tombstone' | 'delete'; at: number; byPart: boolean; value: number }
  | { op: 'tick' | 'clear' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 10, arbitrary: fc.record({ op: fc.constantFrom('read' as const, 'writeIf' as const, 'write' as const, 'tombstone' as const, 'delete' as const), at: fc.nat(PARTS.length - 1), byPart: fc.boolean(), value: fc.nat(99) }) },
  { weight: 1, arbitrary: fc.constantFrom({ op: 'tick' as const }, { op: 'clear' as const }) },
);

/** What a read shows, generation left out (random per store). */
const shape = (r: ReadResult) => (r.entry === undefined ? 'none' : r.entry.d === 1 ? 'tombstone' : `value ${String(r.entry.v)}`);

async function replay(ops: readonly Op[], policy: EvictionPolicy, maxBytes: number | undefined, scoped: boolean): Promise<string[]> {
  let now = 1_000;
  const store = new MemoryStore({ maxEntries: 5, policy, clock: { now: () => now }, ...(maxBytes ? { maxBytes } : {}) });
  const trace: string[] = [];
  store.attach({ onEvict: (key) => trace.push(`evict ${key}`) });
  const scopes: [KeyScope, KeyScope] = [store.keyScope(SCOPE, 0)!, store.keyScope(SCOPE, 1)!];
  /** Each key's last lease (the generation its last read saw). */
  const leases = new Map<number, number | undefined>();
  for (const o of ops) {
    if (o.op === 'tick') now += 400;
    else if (o.op === 'clear') await store.clear();
    else if ('at' in o) {
      const target = PARTS[o.at]!;
      const key = keyOf(target);
      const byPart = scoped && o.byPart;
      const entry: StoredEntry = { v: `v${o.value}`, g: o.value + 1, n: 0 };
      switch (o.op) {
        case 'read': {
          const read = byPart ? scopes[target.kind].readSync(target.part, []) : store.readSync(key, []);
          leases.set(o.at, read.entry?.g);
          trace.push(`read ${key} ${shape(read)}`);
          break;
        }
        case 'writeIf': {
          const expected = leases.get(o.at);
          const ok = byPart ? await scopes[target.kind].writeIf(target.part, entry, 1_000, expected) : await store.writeIf(key, entry, 1_000, expected);
          trace.push(`writeIf ${key} ${ok}`);
          break;
        }
        case 'write':
          await store.write(key, entry, o.value % 3 === 0 ? 0 : 1_000);
          break;
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

describe('MemoryStore key scopes', () => {
  for (const policy of ['lru', 'lfu', 'tinylfu'] as EvictionPolicy[]) {
    for (const maxBytes of [undefined, 160]) {
      it(`${policy}${maxBytes ? ', maxBytes' : ''}: a history by part and by key is the same as by key alone`, async () => {
        await fc.assert(
          fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 150 }), async (ops) => {
            expect(await replay(ops, policy, maxBytes, true)).toEqual(await replay(ops, policy, maxBytes, false));
          }),
          { numRuns: 300, seed: 2026_12_07 },
        );
      });
    }
  }

  it('an entry written by key is found by part, and then stays found by key', async () => {
    const store = new MemoryStore();
    const scope = store.keyScope(SCOPE, 0)!;
    await store.write(`${SCOPE}"a"`, { v: 1, g: 7 }, 0);
    expect(scope.readSync('a', []).entry).toEqual({ v: 1, g: 7 });
    expect(store.readSync(`${SCOPE}"a"`, []).entry).toEqual({ v: 1, g: 7 });
    expect(await scope.writeIf('a', { v: 2, g: 8 }, 0, 7)).toBe(true);
    expect(store.readSync(`${SCOPE}"a"`, []).entry).toEqual({ v: 2, g: 8 });
    expect(store.size).toBe(1);
  });
});
