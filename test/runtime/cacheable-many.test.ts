/**
 * @CacheableMany (issue 15 item 5) on MemoryStore, RedisStore and TieredStore against the test run's
 * real redis-server: the same entries as @Cacheable of one id, one method call with only the missed
 * ids in order, results aligned with the input, shared loads between concurrent batches (held open
 * with a Gate), absent ids and cacheNull, a rejected batch, misaligned results, and the other
 * decorators addressing these entries. A seeded randomized schedule checks whole histories.
 */
import {
  Cacheable, CacheableMany, Invalidate, WriteThrough, configureCache, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore,
} from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

const url = process.env.REDIS_URL!;
const setups: Array<{ name: string; create(): CacheStore }> = [
  { name: 'MemoryStore', create: () => new MemoryStore() },
  { name: 'RedisStore', create: () => new RedisStore({ connection: url }) },
  { name: 'TieredStore', create: () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) }) },
];

let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});
const prefix = () => `cm-${Math.random().toString(36).slice(2)}`;

/** The "database" the batch and single methods read. */
class Db {
  rows = new Map<string, string>();
  batches: string[][] = [];
  singles: string[] = [];
  gate: Gate | undefined;
  failNext: Error | undefined;
}

function catalog(db: Db) {
  class Catalog {
    @CacheableMany({ namespace: 'product', key: (id: string) => id })
    async getMany(ids: string[]): Promise<Array<string | undefined>> {
      db.batches.push([...ids]);
      const gate = db.gate;
      const failure = db.failNext;
      db.failNext = undefined;
      if (gate) await gate.opened;
      if (failure) throw failure;
      return ids.map((id) => db.rows.get(id));
    }
    @CacheableMany({ namespace: 'product', key: (id: string) => id, result: 'map' })
    async getMap(ids: string[]): Promise<Map<string, string>> {
      db.batches.push([...ids]);
      return new Map(ids.filter((id) => db.rows.has(id)).map((id) => [id, db.rows.get(id)!]));
    }
    @Cacheable({ namespace: 'product', key: (id: string) => id })
    async get(id: string): Promise<string | undefined> {
      db.singles.push(id);
      return db.rows.get(id);
    }
    @WriteThrough({ namespace: 'product', key: (id: string) => id, value: (_r: void, _id: string, row: string) => row })
    async save(id: string, row: string): Promise<void> {
      db.rows.set(id, row);
    }
    @Invalidate({ namespace: 'product', key: (id: string) => id })
    async remove(id: string): Promise<void> {
      db.rows.delete(id);
    }
  }
  return new Catalog();
}

describe.each(setups)('@CacheableMany on $name', (setup) => {
  let db: Db;
  let c: ReturnType<typeof catalog>;
  beforeEach(() => {
    runtime = configureCache({ store: setup.create(), prefix: prefix() });
    db = new Db();
    for (const id of ['a', 'b', 'c', 'd', 'e']) db.rows.set(id, `row-${id}`);
    c = catalog(db);
  });

  it('calls the method once with only the missed ids, in input order, and aligns the results with the input', async () => {
    await c.get('b');
    await c.get('d');
    expect(await c.getMany(['e', 'b', 'a', 'd', 'c'])).toEqual(['row-e', 'row-b', 'row-a', 'row-d', 'row-c']);
    expect(db.batches).toEqual([['e', 'a', 'c']]);
    expect(await c.getMany(['c', 'a', 'e'])).toEqual(['row-c', 'row-a', 'row-e']);
    expect(db.batches).toHaveLength(1);
    // each id is the entry of the single-id @Cacheable
    expect(await c.get('e')).toBe('row-e');
    expect(db.singles).toEqual(['b', 'd']);
    expect(runtime!.stats().methods['Catalog.getMany']).toMatchObject({ hits: 5, misses: 3 });
  });

  it('repeated ids are read and loaded once and answered at every position', async () => {
    expect(await c.getMany(['a', 'a', 'b', 'a'])).toEqual(['row-a', 'row-a', 'row-b', 'row-a']);
    expect(db.batches).toEqual([['a', 'b']]);
  });

  it("result: 'map' returns a Map of the ids with a value; absent ids are stored like null results (cacheNull)", async () => {
    const got = await c.getMap(['a', 'zz', 'b']);
    expect([...got]).toEqual([
      ['a', 'row-a'],
      ['b', 'row-b'],
    ]);
    db.rows.set('zz', 'row-zz-later');
    // 'zz' was stored as absent (cacheNull defaults to true): not loaded again
    expect(await c.getMany(['zz', 'a'])).toEqual([undefined, 'row-a']);
    expect(db.batches).toEqual([['a', 'zz', 'b']]);
  });

  it('concurrent batches sharing ids load each id once (the second batch waits for the first one\'s ids)', async () => {
    const gate = new Gate();
    db.gate = gate;
    const first = c.getMany(['a', 'b', 'c']);
    await until(() => db.batches.length === 1, 'the first batch runs');
    db.gate = undefined;
    const second = c.getMany(['b', 'c', 'd']);
    const single = c.get('a');
    await until(() => db.batches.length === 2, 'the second batch runs');
    await until(() => runtime!.stats().methods['Catalog.get']?.misses === 1, 'the single read joined a load');
    gate.open();
    expect(await first).toEqual(['row-a', 'row-b', 'row-c']);
    expect(await second).toEqual(['row-b', 'row-c', 'row-d']);
    expect(await single).toBe('row-a');
    expect(db.batches).toEqual([['a', 'b', 'c'], ['d']]);
    expect(db.singles).toEqual([]);
  });

  it('a rejected batch stores nothing and fails every caller waiting on its ids', async () => {
    const gate = new Gate();
    db.gate = gate;
    db.failNext = new Error('database down');
    const first = c.getMany(['a', 'b']);
    await until(() => db.batches.length === 1, 'the first batch runs');
    db.gate = undefined;
    const joined = c.getMany(['b', 'c']);
    const single = c.get('a');
    await until(() => db.batches.length === 2, 'the second batch runs');
    await until(() => runtime!.stats().methods['Catalog.get']?.misses === 1, 'the single read joined a load');
    gate.open();
    await expect(first).rejects.toThrow('database down');
    await expect(joined).rejects.toThrow('database down');
    await expect(single).rejects.toThrow('database down');
    expect(db.batches).toEqual([['a', 'b'], ['c']]);
    // nothing was stored for a and b; c was (its own batch succeeded)
    expect(await c.getMany(['a', 'b', 'c'])).toEqual(['row-a', 'row-b', 'row-c']);
    expect(db.batches[2]).toEqual(['a', 'b']);
  });

  it('a result that is not aligned with the ids fails the call with a TypeError and stores nothing', async () => {
    class Broken {
      @CacheableMany({ namespace: 'product', key: (id: string) => id })
      async getMany(ids: string[]): Promise<string[]> {
        return ids.slice(1).map((id) => `row-${id}`);
      }
    }
    await expect(new Broken().getMany(['a', 'b'])).rejects.toThrow(
      'Broken.getMany: @CacheableMany asked for 2 ids and the method returned an array of 1; return one value per id, in order (or a Map)',
    );
    expect(await c.get('a')).toBe('row-a');
    expect(db.singles).toEqual(['a']);
  });

  it('@WriteThrough and @Invalidate address the batch entries', async () => {
    await c.getMany(['a', 'b']);
    await c.save('a', 'row-a-2');
    await c.remove('b');
    db.rows.set('b', 'row-b-2');
    expect(await c.getMany(['a', 'b'])).toEqual(['row-a-2', 'row-b-2']);
    expect(db.batches).toEqual([['a', 'b'], ['b']]);
  });

  it('runtime.bypass skips the cache for a batch; runtime.refresh reloads and stores every id', async () => {
    await c.getMany(['a', 'b']);
    db.rows.set('a', 'row-a-2');
    expect(await runtime!.bypass(() => c.getMany(['a', 'b']))).toEqual(['row-a-2', 'row-b']);
    expect(await c.getMany(['a'])).toEqual(['row-a']);
    expect(await runtime!.refresh(() => c.getMany(['a', 'b']))).toEqual(['row-a-2', 'row-b']);
    expect(await c.getMany(['a', 'b'])).toEqual(['row-a-2', 'row-b']);
    expect(db.batches).toEqual([['a', 'b'], ['a', 'b'], ['a', 'b']]);
  });

  it("a seeded random history of batches, single reads, writes and removals: never another id's value, and the cache equals the database once each round settled", async () => {
    let seed = 0x5eed;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const pick = () => ids[Math.floor(random() * ids.length)]!;
    let version = 0;
    for (let round = 0; round < 40; round++) {
      const ops: Promise<void>[] = [];
      for (let n = 0; n < 4; n++) {
        const roll = random();
        if (roll < 0.5) {
          const batch = Array.from({ length: 1 + Math.floor(random() * 5) }, pick);
          ops.push(
            c.getMany(batch).then((values) => {
              batch.forEach((id, i) => {
                const value = values[i];
                // a value of this id: the row before the round or one written during it, never another id's
                if (value !== undefined) expect(String(value).startsWith(`row-${id}`)).toBe(true);
              });
            }),
          );
        } else if (roll < 0.7) {
          const id = pick();
          ops.push(c.get(id).then((value) => void (value !== undefined && expect(String(value).startsWith(`row-${id}`)).toBe(true))));
        } else if (roll < 0.9) {
          const id = pick();
          ops.push(c.save(id, `row-${id}-${++version}`));
        } else {
          const id = pick();
          ops.push(c.remove(id));
        }
      }
      await Promise.all(ops);
      // once the round settled, a batch reads exactly the database
      const all = await c.getMany(ids);
      expect(all).toEqual(ids.map((id) => db.rows.get(id)));
    }
  });
});

describe('@CacheableMany options are checked where they are written', () => {
  it.each([
    [() => CacheableMany({ result: 'set' as never }), "@CacheableMany: result must be one of 'array', 'map'; got 'set'"],
    [() => CacheableMany({ key: '{1}' }), "@CacheableMany: key template '{1}' reads argument 1 ({1}); a batch key is built from one id, argument 0"],
    [() => CacheableMany({ condition: () => true } as never), '@CacheableMany: unknown option'],
    [() => CacheableMany({ grace: 'x' as never }), "@CacheableMany: grace: expected milliseconds"],
  ])('%#', (apply, message) => {
    expect(apply).toThrow(TypeError);
    expect(apply).toThrow(message);
  });

  it('a first argument that is not an array rejects with a TypeError naming the method', async () => {
    runtime = configureCache({ prefix: prefix() });
    class C {
      @CacheableMany()
      async getMany(ids: string[]): Promise<string[]> {
        return ids;
      }
    }
    await expect(new C().getMany('a' as never)).rejects.toThrow("C.getMany: @CacheableMany expects an array of ids as the first argument; got 'a'");
  });
});
