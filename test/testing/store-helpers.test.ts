import { configureCache, Cacheable, MemoryStore, type CacheStore } from 'cachekit';
import { chaosStore, recordingStore, runStoreSuite, type TestFramework } from 'cachekit/testing';

/** A framework that only collects what the suite registers, so a test can run it and count. */
function collectingFramework() {
  const tests: Array<{ name: string; body: () => Promise<void> }> = [];
  const before: Array<() => Promise<void>> = [];
  const after: Array<() => Promise<void>> = [];
  const path: string[] = [];
  const framework: TestFramework = {
    describe: (name, body) => {
      path.push(name);
      body();
      path.pop();
    },
    it: (name, body) => void tests.push({ name: [...path, name].join(' > '), body }),
    beforeEach: (body) => void before.push(body),
    afterEach: (body) => void after.push(body),
  };
  const run = async () => {
    const failed: string[] = [];
    for (const t of tests) {
      for (const b of before) await b();
      try {
        await t.body();
      } catch (error) {
        failed.push(`${t.name}: ${(error as Error).message}`);
      } finally {
        for (const a of after) await a();
      }
    }
    return failed;
  };
  return { framework, tests, run };
}

const memoryHarness = (clock = { t: 1_000_000 }) => async () => {
  const store = new MemoryStore({ clock: { now: () => clock.t } });
  return { store, advance: async (ms: number) => void (clock.t += ms) };
};

describe('runStoreSuite', () => {
  it('registers through the framework it is given (node:test, Vitest without globals) and passes on MemoryStore', async () => {
    const { framework, tests, run } = collectingFramework();
    runStoreSuite(memoryHarness(), { name: 'MemoryStore', framework });
    expect(tests.length).toBe(33);
    expect(tests[0]!.name).toBe('MemoryStore: the shared store suite > reads a missing key as no entry, and a counter never bumped at a starting value it keeps');
    expect(await run()).toEqual([]);
  });

  it('fails on a store that breaks the lease (writeIf ignores the generation)', async () => {
    const { framework, run } = collectingFramework();
    runStoreSuite(
      async () => {
        const clock = { t: 0 };
        const inner = new MemoryStore({ clock: { now: () => clock.t } });
        const store: CacheStore = Object.assign(Object.create(inner) as MemoryStore, {
          writeIf: (key: string, entry: never, ttlMs: number) => inner.write(key, entry, ttlMs).then(() => true),
        });
        return { store, advance: async (ms: number) => void (clock.t += ms), close: () => inner.close() };
      },
      { name: 'careless', framework },
    );
    const failed = await run();
    expect(failed.map((f) => f.split(':')[0] + ': ' + f.split(' > ').at(-1)!.split(':')[0])).toEqual([
      'careless: writes on a missing key only when no generation is expected',
      'careless: refuses when the key was written since the lease was taken',
      'careless: replaces the entry whose generation it expects, tombstones included',
    ]);
  });

  it('refuses a factory that is not a function, and a framework without one of its functions', () => {
    expect(() => runStoreSuite('memory' as never)).toThrow(new TypeError("runStoreSuite: factory must be a function (prefix) => harness; got 'memory'"));
    const { framework } = collectingFramework();
    expect(() => runStoreSuite(memoryHarness(), { framework: { ...framework, afterEach: undefined as never } })).toThrow(
      new TypeError('runStoreSuite: framework.afterEach must be a function; got undefined (undefined)'),
    );
  });
});

class Catalog {
  loads = 0;
  @Cacheable({ namespace: 'item', key: (id: string) => id })
  async item(id: string): Promise<string> {
    this.loads++;
    return id;
  }
}

describe('chaosStore', () => {
  it('makes every operation reject or hang on demand; decorated calls fall back to their method', async () => {
    const chaos = chaosStore(new MemoryStore());
    const errors: unknown[] = [];
    const runtime = configureCache({ store: chaos, storeTimeout: 0, onError: (error) => errors.push(error) });
    const catalog = new Catalog();
    await catalog.item('a');
    await catalog.item('a');
    expect(catalog.loads).toBe(1);
    chaos.mode('throw');
    expect(await catalog.item('a')).toBe('a');
    expect(catalog.loads).toBe(2);
    expect(chaos.failures).toBe(1);
    expect((errors[0] as Error).message).toBe('chaos: store unavailable');
    chaos.mode('hang');
    let settled = false;
    void chaos.read('k', []).then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    expect(chaos.failures).toBe(2);
    chaos.mode('ok');
    expect((await chaos.read('cachekit:item:a', [])).entry?.v).toBe('a');
    await runtime.close();
  });

  it('refuses what is not a store, and an unknown mode', () => {
    expect(() => chaosStore({} as never)).toThrow(new TypeError('chaosStore: store must be a CacheStore (MemoryStore, RedisStore, TieredStore, ...); got {} (object)'));
    expect(() => chaosStore(new MemoryStore()).mode('slow' as never)).toThrow(new TypeError("chaosStore: mode must be 'ok', 'throw' or 'hang'; got 'slow'"));
  });
});

describe('recordingStore', () => {
  it('keeps synchronous reads of the inner store (a memory hit stays synchronous) and records them', async () => {
    const recording = recordingStore(new MemoryStore());
    expect(typeof recording.readSync).toBe('function');
    expect(recordingStore(chaosStore(new MemoryStore())).readSync).toBeUndefined();
    await recording.write('k', { v: 1, g: 1 }, 0);
    expect(recording.readSync!('k', [])?.entry).toEqual({ v: 1, g: 1 });
    expect(recording.operations).toEqual([
      { kind: 'write', key: 'k', value: 1, ttlMs: 0, conditional: false, stored: true },
      { kind: 'read', key: 'k', found: true },
    ]);
  });

  it('records a refused conditional write as not stored', async () => {
    const recording = recordingStore(new MemoryStore());
    await recording.write('k', { v: 1, g: 1 }, 0);
    expect(await recording.writeIf('k', { v: 2, g: 2 }, 0, 7)).toBe(false);
    expect(recording.writes.at(-1)).toEqual({ kind: 'write', key: 'k', value: 2, ttlMs: 0, conditional: true, stored: false });
  });

  it('refuses what is not a store', () => {
    expect(() => recordingStore(null as never)).toThrow(new TypeError('recordingStore: store must be a CacheStore (MemoryStore, RedisStore, TieredStore, ...); got null (null)'));
  });
});
