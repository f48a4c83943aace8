import 'reflect-metadata';
import fc from 'fast-check';
import { Cacheable, Invalidate, MemoryStore, WriteThrough, configureCache, type CacheStore } from '../../src/index.js';
import type { EvictionPolicy } from '../../src/options/memory-store.js';

// A MemoryStore is read and populated by `@Cacheable` through key scopes (the entry filed under
// the caller's own argument, no full key built), while every other decorator addresses the same
// entries by full key. Seeded histories mix both on tricky keys (separators, quotes, escapes,
// surrogates, numbers and their texts, a string too long to be read by part) with evictions,
// expiry and invalidations, and check each read against the database (nothing stale, ever), and
// the whole history against the same one run on a store that has no key scopes (all by full key).

/** The ids: each a lone argument, some alike in text but different keys ('42' and 42, 'NaN' and NaN). */
const IDS: readonly (string | number)[] = ['a', 'a:b', '"a"', 'a"b', 'a\\b', '😀', '\ud800', 'x'.repeat(40), '42', 42, 0, -1.5, NaN, 'NaN', 'user-1', '', ' '];
/** Labels: a key function's own text (read by part) or a number's text (read by full key). */
const LABELS: readonly string[] = ['red', 'a:b', '42', '-0', 'NaN', 'x'.repeat(220)];

/** How a key function addresses the entry `@Cacheable()` gives a lone argument: the stable encoding's text (a number's is `String(n)`, NaN's too). */
const address = (id: string | number) => (typeof id === 'string' ? JSON.stringify(id) : String(id));
const textOf = (id: string | number) => `${typeof id}:${String(id)}`;

class Catalog {
  loads = 0;
  constructor(readonly db: Map<string, string>) {}

  @Cacheable({ namespace: 'item' })
  async byArg(id: string | number) {
    this.loads++;
    return this.db.get(textOf(id)) ?? 'none';
  }

  @Cacheable({ namespace: 'item', key: address })
  async byAddress(id: string | number) {
    this.loads++;
    return this.db.get(textOf(id)) ?? 'none';
  }

  @WriteThrough({ namespace: 'item', key: address })
  async put(id: string | number, value: string) {
    this.db.set(textOf(id), value);
    return value;
  }

  @Invalidate({ namespace: 'item', key: address })
  async drop(_id: string | number) {}

  @Invalidate({ namespace: 'item', allEntries: true })
  async dropAll() {}

  @Cacheable({ namespace: 'label', key: (name: string) => name })
  async label(name: string) {
    this.loads++;
    return this.db.get(`label:${name}`) ?? 'none';
  }

  @WriteThrough({ namespace: 'label', key: '{0}' })
  async setLabel(name: string, value: string) {
    this.db.set(`label:${name}`, value);
    return value;
  }
}

type Op =
  | { op: 'byArg' | 'byAddress' | 'drop'; id: number }
  | { op: 'put'; id: number; value: number }
  | { op: 'sneak'; id: number; value: number }
  | { op: 'label'; name: number }
  | { op: 'setLabel'; name: number; value: number }
  | { op: 'dropAll' }
  | { op: 'tick' };

const anId = fc.nat(IDS.length - 1);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant('byArg' as const), id: anId }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('byAddress' as const), id: anId }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('put' as const), id: anId, value: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('sneak' as const), id: anId, value: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('drop' as const), id: anId }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('label' as const), name: fc.nat(LABELS.length - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('setLabel' as const), name: fc.nat(LABELS.length - 1), value: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'dropAll' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'tick' as const }) },
);

/** The store's own operations, without `keyScope`: every read and write by full key. */
function withoutKeyScopes(store: MemoryStore): CacheStore {
  return {
    name: store.name,
    enforcesTimeouts: true,
    read: (k, v) => store.read(k, v),
    readSync: (k, v) => store.readSync(k, v),
    readVersions: (v) => store.readVersions(v),
    write: (k, e, t) => store.write(k, e, t),
    writeIf: (k, e, t, x) => store.writeIf(k, e, t, x),
    writeTombstone: (k, e, t, w) => store.writeTombstone(k, e, t, w),
    delete: (k) => store.delete(k),
    bump: (v) => store.bump(v),
    clear: () => store.clear(),
    close: () => store.close(),
    inspect: () => store.inspect(),
    attach: (h) => store.attach(h),
  };
}

/** Counts what goes through a store's key scopes (to show the history took that path). */
function countingScopes(store: MemoryStore, counts: { reads: number; writes: number }): MemoryStore {
  const keyScope = store.keyScope.bind(store);
  store.keyScope = (scope, kind) => {
    const entries = keyScope(scope, kind)!;
    return {
      readSync: (part, versionKeys) => (counts.reads++, entries.readSync(part, versionKeys)),
      writeIf: (part, entry, ttlMs, expected) => (counts.writes++, entries.writeIf(part, entry, ttlMs, expected)),
    };
  };
  return store;
}

/** Runs a history; every read must answer the database's value. @returns each step's answer and whether it loaded */
async function run(ops: readonly Op[], store: (clock: { now(): number }) => CacheStore): Promise<string[]> {
  let now = 1_000_000;
  const clock = { now: () => now };
  configureCache({ store: store(clock), ttl: 1_000, onError: () => undefined });
  const catalog = new Catalog(new Map());
  const trace: string[] = [];
  for (const o of ops) {
    const before = catalog.loads;
    let answer = '';
    switch (o.op) {
      case 'byArg':
      case 'byAddress': {
        const id = IDS[o.id]!;
        answer = await catalog[o.op](id);
        expect(answer).toBe(catalog.db.get(textOf(id)) ?? 'none');
        break;
      }
      case 'put':
        await catalog.put(IDS[o.id]!, `v${o.value}`);
        break;
      case 'sneak':
        // the database changes behind the cache, then the key is invalidated
        catalog.db.set(textOf(IDS[o.id]!), `s${o.value}`);
        await catalog.drop(IDS[o.id]!);
        break;
      case 'drop':
        await catalog.drop(IDS[o.id]!);
        break;
      case 'label': {
        const name = LABELS[o.name]!;
        answer = await catalog.label(name);
        expect(answer).toBe(catalog.db.get(`label:${name}`) ?? 'none');
        break;
      }
      case 'setLabel':
        await catalog.setLabel(LABELS[o.name]!, `l${o.value}`);
        break;
      case 'dropAll':
        await catalog.dropAll();
        break;
      case 'tick':
        now += 400;
        break;
    }
    trace.push(`${o.op} ${answer} ${catalog.loads - before}`);
  }
  return trace;
}

describe('@Cacheable reads by key part (MemoryStore key scopes)', () => {
  for (const policy of ['lru', 'lfu', 'tinylfu'] as EvictionPolicy[]) {
    it(`${policy}: every read answers the database, and the history is the one every read by full key gives`, async () => {
      const counts = { reads: 0, writes: 0 };
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { minLength: 20, maxLength: 120 }), async (ops) => {
          const byPart = await run(ops, (clock) => countingScopes(new MemoryStore({ maxEntries: 7, policy, clock }), counts));
          const byKey = await run(ops, (clock) => withoutKeyScopes(new MemoryStore({ maxEntries: 7, policy, clock })));
          expect(byPart).toEqual(byKey);
        }),
        { numRuns: 150, seed: 18_2026 },
      );
      // the histories went through the key scopes, both ways
      expect(counts.reads).toBeGreaterThan(1_000);
      expect(counts.writes).toBeGreaterThan(300);
    });
  }

  it('a subclass that replaced readSync, read, write or writeIf keeps getting every call, by full key', async () => {
    for (const method of ['readSync', 'read', 'write', 'writeIf'] as const) {
      const seen: string[] = [];
      class Watched extends MemoryStore {}
      const replaced = MemoryStore.prototype[method] as (this: MemoryStore, key: string, ...rest: unknown[]) => unknown;
      (Watched.prototype as unknown as Record<string, unknown>)[method] = function (this: MemoryStore, key: string, ...rest: unknown[]) {
        seen.push(key);
        return replaced.call(this, key, ...rest);
      };
      configureCache({ store: new Watched() });
      const catalog = new Catalog(new Map([['string:p7', 'seven']]));
      expect(await catalog.byArg('p7')).toBe('seven');
      expect(await catalog.byArg('p7')).toBe('seven');
      expect(catalog.loads).toBe(1);
      // readSync: the miss and the hit; read: never asked (readSync answers); write: never asked (a populate is a writeIf)
      const expected = { readSync: 2, read: 0, write: 0, writeIf: 1 }[method];
      expect(seen).toEqual(Array(expected).fill('cachekit:item:"p7"'));
      expect(new Watched().keyScope('cachekit:item:', 0)).toBeUndefined();
    }
  });

  it("keeps the caller's own string as the entry's key: a read by full key finds it, and a write by full key replaces it", async () => {
    const store = new MemoryStore();
    configureCache({ store });
    const catalog = new Catalog(new Map([['string:😀', 'one']]));
    expect(await catalog.byArg('😀')).toBe('one');
    // the entry written by part is the one the full key names
    const key = `cachekit:item:${JSON.stringify('😀')}`;
    expect(store.readSync(key, []).entry?.v).toBe('one');
    await catalog.put('😀', 'two');
    expect(await catalog.byArg('😀')).toBe('two');
    expect(await catalog.byAddress('😀')).toBe('two');
    expect(catalog.loads).toBe(1);
    expect(store.size).toBe(1);
  });
});
