/**
 * The one test suite every CacheStore passes (MemoryStore, RedisStore, TieredStore, Redis
 * Cluster in this repository's tests, and custom stores through `cachekit/testing`). Its
 * assertions are node:assert, so it runs the same under Jest, Vitest and node:test; only the
 * registration functions (`describe`, `it`, `beforeEach`, `afterEach`) come from the framework.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { errors } from 'cachekit';
import type { CacheStore, StoredEntry } from 'cachekit';
import { quote } from 'cachekit';

/** Direct access to the Redis behind a store, for foreign keys and exact TTLs (`rawOf(client)` in ioredis terms). */
export interface RawRedis {
  set(key: string, value: string | Buffer): Promise<unknown>;
  getBuffer(key: string): Promise<Buffer | null>;
  pttl(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  del(key: string): Promise<number>;
}

/** A store under test and what the suite needs around it. */
export interface StoreHarness {
  /** The store, with `attach({ prefix, onError })` already called if it has `attach`. */
  store: CacheStore;
  /** Lets `ms` pass for TTLs: move a fake clock, sleep for a server-side TTL, or both. */
  advance(ms: number): Promise<void>;
  /** Failures the store reported through its `onError` hook (the suite expects none where values round-trip). @default [] */
  errors?: unknown[];
  /**
   * Raw Redis access, for a store that keeps cachekit's layout on Redis (checks exact TTLs, that a
   * lost counter restarts at a random base, foreign bytes under a key, and `clear()` sparing
   * foreign keys). Leave it out otherwise.
   */
  raw?: RawRedis;
  /**
   * Whether the store serializes values (a value the serializer cannot encode is rejected with a
   * `SerializationError`) rather than keeping references (memory). @default true when `raw` is given
   */
  serializes?: boolean;
  /** Releases the harness (closes the store and the connections it opened). @default store.close() */
  close?(): Promise<void>;
}

/** Builds a fresh harness for one test; `prefix` is the runtime prefix the test's keys use (pass it to `attach`). */
export type StoreHarnessFactory = (prefix: string) => Promise<StoreHarness> | StoreHarness;

/** The registration functions of a test framework: Jest's and Vitest's globals, or `node:test`'s exports. */
export interface TestFramework {
  describe(name: string, body: () => void): unknown;
  it(name: string, body: () => Promise<void>): unknown;
  beforeEach(body: () => Promise<void>): unknown;
  afterEach(body: () => Promise<void>): unknown;
}

/** Options of {@link runStoreSuite}. */
export interface StoreSuiteOptions {
  /** The name the suite is registered under. @default 'store' */
  name?: string;
  /**
   * Where the suite registers its tests. @default the globals `describe`, `it`, `beforeEach`,
   * `afterEach` (Jest; Vitest with `globals: true`). With node:test, or Vitest without globals,
   * pass them: `{ describe, it, beforeEach, afterEach }`.
   */
  framework?: TestFramework;
}

let counter = 0;

/**
 * A read that finds no value: no entry, or a tombstone (a store that evicts may answer a key whose
 * record left without a write with a tombstone of an absent generation, so a lease taken before
 * cannot populate it: see docs/custom-store.md).
 */
function assertMiss(entry: StoredEntry | undefined): void {
  if (entry === undefined) return;
  assert.equal(typeof entry.g, 'number');
  assert.deepEqual(entry, { g: entry.g, d: 1 });
}

function frameworkOf(options: StoreSuiteOptions): TestFramework {
  if (options.framework !== undefined) {
    const f = options.framework;
    for (const name of ['describe', 'it', 'beforeEach', 'afterEach'] as const) {
      if (typeof f?.[name] !== 'function') throw new TypeError(`runStoreSuite: framework.${name} must be a function; got ${quote(f?.[name])}`);
    }
    return f;
  }
  const g = globalThis as Partial<TestFramework>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.beforeEach !== 'function' || typeof g.afterEach !== 'function') {
    throw new TypeError(
      "runStoreSuite: no global describe/it/beforeEach/afterEach (node:test, or Vitest without globals: true); pass them: runStoreSuite(factory, { framework: { describe, it, beforeEach, afterEach } }); got framework undefined",
    );
  }
  return g as TestFramework;
}

/**
 * Registers the shared store suite (about 30 tests) for one store: reads and writes, every value
 * type round-tripping, leases (`writeIf`), tombstones and the pending flag, TTLs, version counters
 * (also after their own loss), many keys in one call, `clear()` scope, serialization errors, and
 * locks where the store has them. Each test gets a fresh harness from `factory` with keys under a
 * prefix of their own.
 *
 * ```ts
 * runStoreSuite(async (prefix) => {
 *   let now = 1_000_000;
 *   const store = new MyStore({ clock: { now: () => now } });
 *   store.attach({ prefix });
 *   return { store, advance: async (ms) => { now += ms; } };
 * }, { name: 'MyStore' });
 * ```
 * @throws TypeError when `factory` is not a function, or no test framework is found
 */
export function runStoreSuite(factory: StoreHarnessFactory, options: StoreSuiteOptions = {}): void {
  if (typeof factory !== 'function') throw new TypeError(`runStoreSuite: factory must be a function (prefix) => harness; got ${quote(factory)}`);
  if (typeof options !== 'object' || options === null) throw new TypeError(`runStoreSuite: options must be an object; got ${quote(options)}`);
  if (options.name !== undefined && typeof options.name !== 'string') throw new TypeError(`runStoreSuite: name must be a string; got ${quote(options.name)}`);
  const { describe, it, beforeEach, afterEach } = frameworkOf(options);

  describe(`${options.name ?? 'store'}: the shared store suite`, () => {
    let h: StoreHarness;
    let store: CacheStore;
    let errorsSeen: unknown[];
    let prefix: string;
    const key = (k: string) => `${prefix}:ns:${k}`;
    const nsVersion = (ns = 'ns') => `${prefix}#n:${ns}`;
    const tagVersion = (tag: string) => `${prefix}#t:${tag}`;
    const serializes = () => h.serializes ?? h.raw !== undefined;
    const entryOf = async (k: string) => (await store.read(k, [])).entry;

    beforeEach(async () => {
      prefix = `ck${++counter}${randomBytes(4).toString('hex')}`;
      h = await factory(prefix);
      if (typeof h?.store?.read !== 'function') throw new TypeError(`runStoreSuite: the factory must return { store, advance }; got ${quote(h)}`);
      store = h.store;
      errorsSeen = h.errors ?? [];
    });

    afterEach(async () => {
      await (h.close ? h.close() : store.close());
    });

    it('reads a missing key as no entry, and a counter never bumped at a starting value it keeps', async () => {
      const read = await store.read(key('missing'), [nsVersion(), tagVersion('a')]);
      assert.equal(read.entry, undefined);
      assert.equal(read.versions.length, 2);
      for (const v of read.versions) {
        assert.ok(Number.isSafeInteger(v), `a counter is a safe integer; got ${v}`);
        // a lost counter restarts at a random base on Redis (never a value it had); memory starts at 0
        if (h.raw) assert.ok(v >= 2 ** 51 && v < 2 ** 52, `a Redis counter starts in [2^51, 2^52); got ${v}`);
      }
      assert.deepEqual((await store.read(key('missing'), [nsVersion(), tagVersion('a')])).versions, read.versions);
      assert.deepEqual(await store.readVersions([tagVersion('a'), nsVersion()]), [read.versions[1], read.versions[0]]);
      assert.deepEqual((await store.read(key('missing'), [])).versions, []);
    });

    it('never reads a lost counter (deleted, evicted) as a value it had before: entries written under it stay stale', async () => {
      const [n0] = await store.readVersions([nsVersion()]);
      await store.write(key('e'), { v: 'old', g: 1, n: n0 }, 60_000);
      const [n1] = await store.bump([nsVersion()]);
      assert.equal(n1, n0! + 1);
      if (!h.raw) return; // without raw access the suite cannot lose a counter on purpose
      await h.raw.del(nsVersion());
      const after = await store.read(key('e'), [nsVersion()]);
      assert.deepEqual(after.entry, { v: 'old', g: 1, n: n0 });
      assert.ok(after.versions[0] !== n0 && after.versions[0] !== n1, `a lost counter reads as a new value; got ${after.versions[0]}`);
      const [again] = await store.bump([nsVersion()]);
      assert.equal(again, after.versions[0]! + 1);
      await h.raw.del(nsVersion());
      const [bumpedFromNothing] = await store.bump([nsVersion()]);
      assert.ok(![n0, n1, after.versions[0], again].includes(bumpedFromNothing), `a counter bumped after its loss is new; got ${bumpedFromNothing}`);
    });

    it('reads back what it wrote: value, generation, namespace and tag versions', async () => {
      const [n, red] = await store.readVersions([nsVersion(), tagVersion('red')]);
      const entry: StoredEntry = { v: { id: 7, name: 'lamp' }, g: 123456789, n, t: { [tagVersion('red')]: red! } };
      await store.write(key('a'), entry, 60_000);
      const read = await store.read(key('a'), [nsVersion()]);
      assert.deepEqual(read.entry, entry);
      assert.deepEqual(read.versions, [n]);
    });

    it('overwrites an entry with a later write', async () => {
      await store.write(key('a'), { v: 1, g: 1 }, 60_000);
      await store.write(key('a'), { v: 2, g: 2 }, 60_000);
      assert.deepEqual(await entryOf(key('a')), { v: 2, g: 2 });
    });

    const values: Array<[string, () => unknown]> = [
      ['a Date', () => new Date('2024-02-29T12:34:56.789Z')],
      ['a Map with non-string keys', () => new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }], [true, [3]]])],
      ['a Set', () => new Set([1, 'a', 2.5])],
      ['a BigInt', () => 12345678901234567890n],
      ['a negative BigInt', () => -5n],
      ['nested undefined', () => ({ a: undefined, b: [undefined, 1, { c: undefined }] })],
      ['0', () => 0],
      ['false', () => false],
      ["''", () => ''],
      ['null', () => null],
      ['undefined', () => undefined],
      ['a non-ASCII string', () => 'grüße, 世界 🎉'],
      ['nested arrays', () => [[1, [2, [3, []]]], 'x']],
      ['a large string', () => 'x'.repeat(100_000)],
      ['an object with a Date, Map, Set and BigInt inside', () => ({ at: new Date(0), m: new Map([['k', new Set([1n])]]) })],
    ];
    for (const [name, make] of values) {
      it(`round-trips ${name}`, async () => {
        await store.write(key('v'), { v: make(), g: 5 }, 60_000);
        const entry = await entryOf(key('v'));
        assert.ok(entry !== undefined, 'the entry is there');
        assert.deepStrictEqual(entry.v, make());
        assert.equal(entry.g, 5);
        assert.deepEqual(errorsSeen, []);
      });
    }

    it('keeps a tombstone as a tombstone (no value) and the write-pending flag', async () => {
      await store.write(key('t'), { g: 99, d: 1 }, 60_000);
      assert.deepEqual(await entryOf(key('t')), { g: 99, d: 1 });
      await store.write(key('w'), { v: 'queued', g: 100, w: 1 }, 60_000);
      assert.deepEqual(await entryOf(key('w')), { v: 'queued', g: 100, w: 1 });
    });

    it('expires an entry after its TTL and keeps one written with TTL 0', async () => {
      await store.write(key('short'), { v: 'short', g: 1 }, 100);
      await store.write(key('forever'), { v: 'forever', g: 2 }, 0);
      assert.deepEqual(await entryOf(key('short')), { v: 'short', g: 1 });
      if (h.raw) {
        const pttl = await h.raw.pttl(key('short'));
        assert.ok(pttl > 0 && pttl <= 100, `PTTL within (0, 100]; got ${pttl}`);
        assert.equal(await h.raw.pttl(key('forever')), -1);
      }
      await h.advance(250);
      assertMiss(await entryOf(key('short')));
      assert.deepEqual(await entryOf(key('forever')), { v: 'forever', g: 2 });
    });

    describe('writeIf (leases)', () => {
      it('writes on a missing key only when no generation is expected', async () => {
        assert.equal(await store.writeIf(key('l'), { v: 'x', g: 10 }, 60_000, 3), false);
        assert.equal(await entryOf(key('l')), undefined);
        assert.equal(await store.writeIf(key('l'), { v: 'first', g: 11 }, 60_000, undefined), true);
        assert.deepEqual(await entryOf(key('l')), { v: 'first', g: 11 });
      });

      it('refuses when the key was written since the lease was taken', async () => {
        await store.write(key('l'), { v: 'current', g: 20 }, 60_000);
        assert.equal(await store.writeIf(key('l'), { v: 'late', g: 21 }, 60_000, undefined), false);
        assert.equal(await store.writeIf(key('l'), { v: 'late', g: 21 }, 60_000, 19), false);
        assert.deepEqual(await entryOf(key('l')), { v: 'current', g: 20 });
      });

      it('replaces the entry whose generation it expects, tombstones included', async () => {
        await store.write(key('l'), { v: 'old', g: 30 }, 60_000);
        assert.equal(await store.writeIf(key('l'), { v: 'new', g: 31 }, 60_000, 30), true);
        assert.deepEqual(await entryOf(key('l')), { v: 'new', g: 31 });
        await store.write(key('l'), { g: 32, d: 1 }, 60_000);
        assert.equal(await store.writeIf(key('l'), { v: 'stale', g: 33 }, 60_000, 31), false);
        assert.equal(await store.writeIf(key('l'), { v: 'after', g: 34 }, 60_000, 32), true);
        assert.deepEqual(await entryOf(key('l')), { v: 'after', g: 34 });
      });

      it('sets the TTL it is given', async () => {
        assert.equal(await store.writeIf(key('l'), { v: 1, g: 1 }, 100, undefined), true);
        if (h.raw) {
          const pttl = await h.raw.pttl(key('l'));
          assert.ok(pttl > 0 && pttl <= 100, `PTTL within (0, 100]; got ${pttl}`);
        }
        await h.advance(250);
        const lease = await entryOf(key('l'));
        assertMiss(lease);
        assert.equal(await store.writeIf(key('l'), { v: 2, g: 2 }, 0, lease?.g), true);
        if (h.raw) assert.equal(await h.raw.pttl(key('l')), -1);
      });
    });

    it('deletes keys and says how many existed', async () => {
      await store.write(key('d1'), { v: 1, g: 1 }, 60_000);
      await store.write(key('d2'), { v: 2, g: 2 }, 60_000);
      assert.equal(await store.delete([key('d1'), key('d2'), key('d3')]), 2);
      assertMiss(await entryOf(key('d1')));
      assertMiss(await entryOf(key('d2')));
      assert.equal(await store.delete([key('d1')]), 0);
      assert.equal(await store.delete([]), 0);
    });

    it('counts versions: bump returns the new values, reads see them', async () => {
      const [n, x, never] = await store.readVersions([nsVersion(), tagVersion('x'), tagVersion('never')]);
      assert.deepEqual(await store.bump([nsVersion()]), [n! + 1]);
      assert.deepEqual(await store.bump([nsVersion()]), [n! + 2]);
      assert.deepEqual(await store.bump([nsVersion(), tagVersion('x')]), [n! + 3, x! + 1]);
      assert.deepEqual(await store.readVersions([tagVersion('x'), nsVersion(), tagVersion('never')]), [x! + 1, n! + 3, never]);
      assert.deepEqual(await store.readVersions([]), []);
      assert.deepEqual(await store.bump([]), []);
      await store.write(key('a'), { v: 'a', g: 1, n: n! + 3 }, 60_000);
      const read = await store.read(key('a'), [nsVersion(), tagVersion('x')]);
      assert.deepEqual(read.entry, { v: 'a', g: 1, n: n! + 3 });
      assert.deepEqual(read.versions, [n! + 3, x! + 1]);
      assert.deepEqual(await store.bump([tagVersion('x')]), [x! + 2]);
      assert.deepEqual((await store.read(key('a'), [nsVersion(), tagVersion('x')])).versions, [n! + 3, x! + 2]);
      // a counter bumped before anything read it is a safe integer too (a random base on Redis)
      const [first] = await store.bump([tagVersion('fresh')]);
      assert.ok(Number.isSafeInteger(first) && (h.raw ? first! > 2 ** 51 : true), `a first bump gives a safe integer; got ${first}`);
    });

    it('handles many keys in one call', async () => {
      const tags = Array.from({ length: 100 }, (_, i) => tagVersion(`t${i}`));
      const [n] = await store.readVersions([nsVersion()]);
      const base = await store.readVersions(tags);
      assert.deepEqual(await store.bump(tags), base.map((b) => b + 1));
      assert.deepEqual(await store.bump(tags.slice(0, 50)), base.slice(0, 50).map((b) => b + 2));
      assert.deepEqual(await store.readVersions(tags), base.map((b, i) => (i < 50 ? b + 2 : b + 1)));
      const keys = Array.from({ length: 100 }, (_, i) => key(`k${i}`));
      await Promise.all(keys.map((k, i) => store.write(k, { v: i, g: i + 1 }, 60_000)));
      const read = await store.read(keys[42]!, [nsVersion(), ...tags.slice(45, 64)]);
      assert.deepEqual(read.entry, { v: 42, g: 43 });
      assert.deepEqual(read.versions, [n, ...base.slice(45, 64).map((b, i) => (45 + i < 50 ? b + 2 : b + 1))]);
      assert.equal(await store.delete(keys), 100);
      for (const r of await Promise.all(keys.map((k) => store.read(k, [])))) assertMiss(r.entry);
    });

    it('clears every entry and counter under its prefix and nothing else', async () => {
      const foreign = [`other${prefix}:ns:a`, `${prefix}x:ns:a`, `${prefix}-data`];
      if (h.raw) for (const k of foreign) await h.raw.set(k, 'keep');
      await store.write(key('a'), { v: 'a', g: 1 }, 60_000);
      await store.write(`${prefix}:other-ns:b`, { v: 'b', g: 2 }, 0);
      const bumped = await store.bump([nsVersion(), tagVersion('t')]);
      await store.clear();
      if (h.raw) for (const k of [key('a'), `${prefix}:other-ns:b`, nsVersion(), tagVersion('t')]) assert.equal(await h.raw.exists(k), 0, `${k} is gone`);
      assertMiss((await store.read(key('a'), [nsVersion(), tagVersion('t')])).entry);
      const restarted = (await store.read(key('a'), [nsVersion(), tagVersion('t')])).versions;
      assert.ok(!restarted.some((v, i) => v === bumped[i]), `counters after clear() differ from before; got ${restarted} after ${bumped}`);
      assertMiss(await entryOf(`${prefix}:other-ns:b`));
      if (h.raw) for (const k of foreign) assert.equal(String(await h.raw.getBuffer(k)), 'keep');
    });

    it('rejects a value the serializer cannot encode and stores nothing (or, keeping references, stores it as it is)', async () => {
      const value = { ok: 1, bad: Symbol('not encodable') };
      const write = store.write(key('s'), { v: value, g: 1 }, 60_000);
      if (serializes()) {
        await assert.rejects(write, (error) => error instanceof errors.SerializationError);
        assert.equal(await entryOf(key('s')), undefined);
      } else {
        await write;
        const entry = await entryOf(key('s'));
        assert.equal(entry?.v, value);
      }
    });

    it('takes a lock once, releases it only for its token, and lets it expire (stores with acquireLock)', async () => {
      if (!store.acquireLock || !store.releaseLock) return;
      const lock = `${key('lk')}#lock`;
      const token = await store.acquireLock(lock, 60_000);
      assert.equal(typeof token, 'string');
      assert.equal(await store.acquireLock(lock, 60_000), undefined);
      await store.releaseLock(lock, 'not-the-token');
      assert.equal(await store.acquireLock(lock, 60_000), undefined);
      await store.releaseLock(lock, token!);
      const second = await store.acquireLock(lock, 100);
      assert.equal(typeof second, 'string');
      assert.notEqual(second, token);
      await h.advance(250);
      assert.equal(typeof (await store.acquireLock(lock, 60_000)), 'string');
    });

    it('reads foreign bytes under a key as a miss, reports a SerializationError, and lets a populate replace them (stores on Redis)', async () => {
      if (!h.raw) return;
      await h.raw.set(key('f'), 'this is not a cachekit entry');
      const read = await store.read(key('f'), [nsVersion()]);
      assert.equal(read.entry, undefined);
      assert.deepEqual(read.versions, await store.readVersions([nsVersion()]));
      assert.equal(errorsSeen.length, 1);
      assert.ok(errorsSeen[0] instanceof errors.SerializationError);
      assert.ok((errorsSeen[0] as Error).message.includes(key('f')), 'the error names the key');
      assert.equal(await store.writeIf(key('f'), { v: 'fresh', g: 7 }, 60_000, undefined), true);
      assert.deepEqual(await entryOf(key('f')), { v: 'fresh', g: 7 });
    });

    it('never decodes bytes into an object with a polluted prototype (stores that serialize)', async () => {
      if (!serializes()) return;
      const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');
      await store.write(key('p'), { v: hostile, g: 1, t: JSON.parse(`{"__proto__": 1, "${tagVersion('z')}": 2}`) }, 60_000);
      const entry = (await entryOf(key('p')))!;
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf(entry.v), Object.prototype);
      assert.equal((entry.v as Record<string, unknown>).polluted, undefined);
      assert.equal(Object.getPrototypeOf(entry.t), Object.prototype);
      assert.deepEqual(Object.keys(entry.t!).sort(), ['__proto__', tagVersion('z')].sort());
      assert.equal(entry.t![tagVersion('z')], 2);
    });
  });
}
