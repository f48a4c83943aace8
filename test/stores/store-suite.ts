/**
 * The one test suite every CacheStore passes (memory, Redis, tiered, Redis Cluster). Each
 * store file calls {@link runStoreSuite} with a factory; every test gets a fresh harness
 * whose keys live under a prefix of their own.
 */
import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { CacheStore, MsgpackSerializer, StoredEntry, errors } from '../../src/index.js';
import { encodeEntry } from '../../src/stores/redis/entry-codec.js';

/** Direct access to the Redis behind a store, for foreign keys and corrupt bytes. */
export interface RawRedis {
  set(key: string, value: string | Buffer): Promise<unknown>;
  getBuffer(key: string): Promise<Buffer | null>;
  pttl(key: string): Promise<number>;
  exists(key: string): Promise<number>;
  del(key: string): Promise<number>;
}

/** A store under test and what the suite needs around it. */
export interface StoreHarness {
  store: CacheStore;
  /** Lets `ms` pass for TTLs (a fake clock, a real sleep, or both). */
  advance(ms: number): Promise<void>;
  /** Failures reported through the store's `onError` hook. */
  errors: unknown[];
  /** Raw Redis access, for stores backed by Redis. */
  raw?: RawRedis;
  /** Releases the harness (closes connections it opened). */
  close(): Promise<void>;
}

/** Builds a harness; `prefix` is the runtime prefix the test's keys use. */
export type HarnessFactory = (prefix: string) => Promise<StoreHarness>;

let counter = 0;

/**
 * A read that finds no value: no entry, or a tombstone (a MemoryStore answers a key whose
 * record left without a write, by eviction, expiry or delete, with a tombstone of the key's
 * absent generation, so a lease taken before cannot populate: see absent-generations.ts).
 */
export function expectMiss(entry: StoredEntry | undefined): void {
  if (entry !== undefined) expect(entry).toStrictEqual({ g: expect.any(Number), d: 1 });
}

/** Registers the shared suite for one store kind. */
export function runStoreSuite(kind: string, create: HarnessFactory): void {
  describe(`${kind}: the shared store suite`, () => {
    let h: StoreHarness;
    let store: CacheStore;
    let prefix: string;
    const key = (k: string) => `${prefix}:ns:${k}`;
    const nsVersion = (ns = 'ns') => `${prefix}#n:${ns}`;
    const tagVersion = (tag: string) => `${prefix}#t:${tag}`;

    beforeEach(async () => {
      prefix = `ck${++counter}${randomBytes(4).toString('hex')}`;
      h = await create(prefix);
      store = h.store;
    });

    afterEach(async () => {
      await h.close();
    });

    it('reads a missing key as no entry, and a counter never bumped at its starting value (0 in memory, a random base on Redis)', async () => {
      const read = await store.read(key('missing'), [nsVersion(), tagVersion('a')]);
      expect(read.entry).toBeUndefined();
      expect(read.versions).toHaveLength(2);
      for (const v of read.versions) expect(Number.isSafeInteger(v) && (h.raw ? v >= 2 ** 51 && v < 2 ** 52 : v === 0)).toBe(true);
      // the starting value is kept: read again, it is the same
      expect((await store.read(key('missing'), [nsVersion(), tagVersion('a')])).versions).toEqual(read.versions);
      expect(await store.readVersions([tagVersion('a'), nsVersion()])).toEqual([read.versions[1], read.versions[0]]);
      expect((await store.read(key('missing'), [])).versions).toEqual([]);
    });

    it('never reads a lost counter (deleted, evicted) as a value it had before: entries written under it stay stale', async () => {
      const [n0] = await store.readVersions([nsVersion()]);
      await store.write(key('e'), { v: 'old', g: 1, n: n0 }, 60_000);
      const [n1] = await store.bump([nsVersion()]);
      expect(n1).toBe(n0! + 1);
      if (!h.raw) return; // a memory store never loses a counter without its entries (clear drops both)
      await h.raw.del(nsVersion());
      const after = await store.read(key('e'), [nsVersion()]);
      expect(after.entry).toStrictEqual({ v: 'old', g: 1, n: n0 });
      expect(after.versions[0] === n0 || after.versions[0] === n1).toBe(false);
      const [again] = await store.bump([nsVersion()]);
      expect(again).toBe(after.versions[0]! + 1);
      await h.raw.del(nsVersion());
      const [bumpedFromNothing] = await store.bump([nsVersion()]);
      expect([n0, n1, after.versions[0], again].includes(bumpedFromNothing)).toBe(false);
    });

    it('reads back what it wrote: value, generation, namespace and tag versions', async () => {
      const [n, red] = await store.readVersions([nsVersion(), tagVersion('red')]);
      const entry: StoredEntry = { v: { id: 7, name: 'lamp' }, g: 123456789, n, t: { [tagVersion('red')]: red! } };
      await store.write(key('a'), entry, 60_000);
      const read = await store.read(key('a'), [nsVersion()]);
      expect(read.entry).toStrictEqual(entry);
      expect(read.versions).toEqual([n]);
    });

    it('overwrites an entry with a later write', async () => {
      await store.write(key('a'), { v: 1, g: 1 }, 60_000);
      await store.write(key('a'), { v: 2, g: 2 }, 60_000);
      expect((await store.read(key('a'), [])).entry).toStrictEqual({ v: 2, g: 2 });
    });

    const values: Array<[string, unknown]> = [
      ['a Date', new Date('2024-02-29T12:34:56.789Z')],
      ['a Map with non-string keys', new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }], [true, [3]]])],
      ['a Set', new Set([1, 'a', 2.5])],
      ['a BigInt', 12345678901234567890n],
      ['a negative BigInt', -5n],
      ['nested undefined', { a: undefined, b: [undefined, 1, { c: undefined }] }],
      ['0', 0],
      ['false', false],
      ["''", ''],
      ['null', null],
      ['undefined', undefined],
      ['a non-ASCII string', 'grüße, 世界 🎉'],
      ['nested arrays', [[1, [2, [3, []]]], 'x']],
      ['a large string', 'x'.repeat(100_000)],
      ['an object with a Date, Map, Set and BigInt inside', { at: new Date(0), m: new Map([['k', new Set([1n])]]) }],
    ];
    it.each(values)('round-trips %s', async (_name, value) => {
      await store.write(key('v'), { v: value, g: 5 }, 60_000);
      const entry = (await store.read(key('v'), [])).entry;
      expect(entry!.v).toStrictEqual(value);
      expect(entry!.g).toBe(5);
      expect(h.errors).toEqual([]);
    });

    it('keeps a tombstone as a tombstone (no value) and the write-pending flag', async () => {
      await store.write(key('t'), { g: 99, d: 1 }, 60_000);
      expect((await store.read(key('t'), [])).entry).toStrictEqual({ g: 99, d: 1 });
      await store.write(key('w'), { v: 'queued', g: 100, w: 1 }, 60_000);
      expect((await store.read(key('w'), [])).entry).toStrictEqual({ v: 'queued', g: 100, w: 1 });
    });

    it('expires an entry after its TTL and keeps one written with TTL 0', async () => {
      await store.write(key('short'), { v: 'short', g: 1 }, 100);
      await store.write(key('forever'), { v: 'forever', g: 2 }, 0);
      expect((await store.read(key('short'), [])).entry).toStrictEqual({ v: 'short', g: 1 });
      if (h.raw) {
        const pttl = await h.raw.pttl(key('short'));
        expect(pttl > 0 && pttl <= 100).toBe(true);
        expect(await h.raw.pttl(key('forever'))).toBe(-1);
      }
      await h.advance(250);
      expectMiss((await store.read(key('short'), [])).entry);
      expect((await store.read(key('forever'), [])).entry).toStrictEqual({ v: 'forever', g: 2 });
    });

    describe('writeIf (leases)', () => {
      it('writes on a missing key only when no generation is expected', async () => {
        expect(await store.writeIf(key('l'), { v: 'x', g: 10 }, 60_000, 3)).toBe(false);
        expect((await store.read(key('l'), [])).entry).toBeUndefined();
        expect(await store.writeIf(key('l'), { v: 'first', g: 11 }, 60_000, undefined)).toBe(true);
        expect((await store.read(key('l'), [])).entry).toStrictEqual({ v: 'first', g: 11 });
      });

      it('refuses when the key was written since the lease was taken', async () => {
        await store.write(key('l'), { v: 'current', g: 20 }, 60_000);
        expect(await store.writeIf(key('l'), { v: 'late', g: 21 }, 60_000, undefined)).toBe(false);
        expect(await store.writeIf(key('l'), { v: 'late', g: 21 }, 60_000, 19)).toBe(false);
        expect((await store.read(key('l'), [])).entry).toStrictEqual({ v: 'current', g: 20 });
      });

      it('replaces the entry whose generation it expects, tombstones included', async () => {
        await store.write(key('l'), { v: 'old', g: 30 }, 60_000);
        expect(await store.writeIf(key('l'), { v: 'new', g: 31 }, 60_000, 30)).toBe(true);
        expect((await store.read(key('l'), [])).entry).toStrictEqual({ v: 'new', g: 31 });
        await store.write(key('l'), { g: 32, d: 1 }, 60_000);
        expect(await store.writeIf(key('l'), { v: 'stale', g: 33 }, 60_000, 31)).toBe(false);
        expect(await store.writeIf(key('l'), { v: 'after', g: 34 }, 60_000, 32)).toBe(true);
        expect((await store.read(key('l'), [])).entry).toStrictEqual({ v: 'after', g: 34 });
      });

      it('sets the TTL it is given', async () => {
        expect(await store.writeIf(key('l'), { v: 1, g: 1 }, 100, undefined)).toBe(true);
        if (h.raw) {
          const pttl = await h.raw.pttl(key('l'));
          expect(pttl > 0 && pttl <= 100).toBe(true);
        }
        await h.advance(250);
        const lease = (await store.read(key('l'), [])).entry;
        expectMiss(lease);
        expect(await store.writeIf(key('l'), { v: 2, g: 2 }, 0, lease?.g)).toBe(true);
        if (h.raw) expect(await h.raw.pttl(key('l'))).toBe(-1);
      });
    });

    it('deletes keys and says how many existed', async () => {
      await store.write(key('d1'), { v: 1, g: 1 }, 60_000);
      await store.write(key('d2'), { v: 2, g: 2 }, 60_000);
      expect(await store.delete([key('d1'), key('d2'), key('d3')])).toBe(2);
      expectMiss((await store.read(key('d1'), [])).entry);
      expectMiss((await store.read(key('d2'), [])).entry);
      expect(await store.delete([key('d1')])).toBe(0);
      expect(await store.delete([])).toBe(0);
    });

    it('counts versions: bump returns the new values, reads see them', async () => {
      const [n, x, never] = await store.readVersions([nsVersion(), tagVersion('x'), tagVersion('never')]);
      expect(await store.bump([nsVersion()])).toEqual([n! + 1]);
      expect(await store.bump([nsVersion()])).toEqual([n! + 2]);
      expect(await store.bump([nsVersion(), tagVersion('x')])).toEqual([n! + 3, x! + 1]);
      expect(await store.readVersions([tagVersion('x'), nsVersion(), tagVersion('never')])).toEqual([x! + 1, n! + 3, never]);
      expect(await store.readVersions([])).toEqual([]);
      expect(await store.bump([])).toEqual([]);
      await store.write(key('a'), { v: 'a', g: 1, n: n! + 3 }, 60_000);
      expect(await store.read(key('a'), [nsVersion(), tagVersion('x')])).toMatchObject({ entry: { v: 'a', g: 1, n: n! + 3 }, versions: [n! + 3, x! + 1] });
      expect(await store.bump([tagVersion('x')])).toEqual([x! + 2]);
      expect((await store.read(key('a'), [nsVersion(), tagVersion('x')])).versions).toEqual([n! + 3, x! + 2]);
      // a counter bumped before anything read it starts where a read would have started it
      const [first] = await store.bump([tagVersion('fresh')]);
      expect(Number.isSafeInteger(first) && (h.raw ? first! > 2 ** 51 : first === 1)).toBe(true);
    });

    it('handles many keys in one call', async () => {
      const tags = Array.from({ length: 100 }, (_, i) => tagVersion(`t${i}`));
      const [n] = await store.readVersions([nsVersion()]);
      const base = await store.readVersions(tags);
      expect(await store.bump(tags)).toEqual(base.map((b) => b + 1));
      expect(await store.bump(tags.slice(0, 50))).toEqual(base.slice(0, 50).map((b) => b + 2));
      expect(await store.readVersions(tags)).toEqual(base.map((b, i) => (i < 50 ? b + 2 : b + 1)));
      const keys = Array.from({ length: 100 }, (_, i) => key(`k${i}`));
      await Promise.all(keys.map((k, i) => store.write(k, { v: i, g: i + 1 }, 60_000)));
      const read = await store.read(keys[42]!, [nsVersion(), ...tags.slice(45, 64)]);
      expect(read.entry).toStrictEqual({ v: 42, g: 43 });
      expect(read.versions).toEqual([n, ...base.slice(45, 64).map((b, i) => (45 + i < 50 ? b + 2 : b + 1))]);
      expect(await store.delete(keys)).toBe(100);
      for (const r of await Promise.all(keys.map((k) => store.read(k, [])))) expectMiss(r.entry);
    });

    it('clears every entry and counter under its prefix and nothing else', async () => {
      const foreign = [`other${prefix}:ns:a`, `${prefix}x:ns:a`, `${prefix}-data`];
      if (h.raw) for (const k of foreign) await h.raw.set(k, 'keep');
      await store.write(key('a'), { v: 'a', g: 1 }, 60_000);
      await store.write(`${prefix}:other-ns:b`, { v: 'b', g: 2 }, 0);
      const bumped = await store.bump([nsVersion(), tagVersion('t')]);
      await store.clear();
      if (h.raw) for (const k of [key('a'), `${prefix}:other-ns:b`, nsVersion(), tagVersion('t')]) expect(await h.raw.exists(k)).toBe(0);
      expectMiss((await store.read(key('a'), [nsVersion(), tagVersion('t')])).entry);
      const restarted = (await store.read(key('a'), [nsVersion(), tagVersion('t')])).versions;
      if (h.raw) expect(restarted.some((v, i) => v === bumped[i])).toBe(false);
      else expect(restarted).toEqual([0, 0]);
      expectMiss((await store.read(`${prefix}:other-ns:b`, [])).entry);
      if (h.raw) {
        for (const k of foreign) expect(String(await h.raw.getBuffer(k))).toBe('keep');
      }
    });

    it('rejects a value the serializer cannot encode, and stores nothing', async () => {
      const value = { ok: 1, bad: Symbol('not encodable') };
      const write = store.write(key('s'), { v: value, g: 1 }, 60_000);
      if (h.raw) {
        await expect(write).rejects.toBeInstanceOf(errors.SerializationError);
        expect((await store.read(key('s'), [])).entry).toBeUndefined();
      } else {
        // A memory store keeps references: nothing is encoded.
        await write;
        expect((await store.read(key('s'), [])).entry).toStrictEqual({ v: value, g: 1 });
      }
    });

    if (kind !== 'MemoryStore') {
      it('takes a lock once, releases it only for its token, and lets it expire', async () => {
        const lock = `${key('lk')}#lock`;
        const token = await store.acquireLock!(lock, 60_000);
        expect(typeof token).toBe('string');
        expect(await store.acquireLock!(lock, 60_000)).toBeUndefined();
        await store.releaseLock!(lock, 'not-the-token');
        expect(await store.acquireLock!(lock, 60_000)).toBeUndefined();
        await store.releaseLock!(lock, token!);
        const second = await store.acquireLock!(lock, 100);
        expect(typeof second).toBe('string');
        expect(second).not.toBe(token);
        await h.advance(250);
        expect(typeof (await store.acquireLock!(lock, 60_000))).toBe('string');
      });

      it('reads foreign bytes under a key as a miss, reports a SerializationError, and lets a populate replace them', async () => {
        await h.raw!.set(key('f'), 'this is not a cachekit entry');
        const read = await store.read(key('f'), [nsVersion()]);
        expect(read.entry).toBeUndefined();
        expect(read.versions).toEqual(await store.readVersions([nsVersion()]));
        expect(h.errors).toHaveLength(1);
        expect(h.errors[0]).toBeInstanceOf(errors.SerializationError);
        expect((h.errors[0] as Error).message).toContain(key('f'));
        expect(await store.writeIf(key('f'), { v: 'fresh', g: 7 }, 60_000, undefined)).toBe(true);
        expect((await store.read(key('f'), [])).entry).toStrictEqual({ v: 'fresh', g: 7 });
      });

      it('reads an entry whose value bytes are corrupt as a tombstone of its generation (a miss the next populate replaces)', async () => {
        const bytes = encodeEntry({ v: { fine: true }, g: 4242 }, 0, new MsgpackSerializer());
        const corrupt = bytes.subarray(0, bytes.length - 2); // the value's bytes cut short
        await h.raw!.set(key('c'), corrupt);
        expect((await store.read(key('c'), [])).entry).toStrictEqual({ g: 4242, d: 1 });
        expect(h.errors).toHaveLength(1);
        expect(h.errors[0]).toBeInstanceOf(errors.SerializationError);
        expect(await store.writeIf(key('c'), { v: 'repaired', g: 4243 }, 60_000, 4242)).toBe(true);
        expect((await store.read(key('c'), [])).entry).toStrictEqual({ v: 'repaired', g: 4243 });
      });

      it('never decodes bytes into an object with a polluted prototype', async () => {
        const hostile = JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}');
        await store.write(key('p'), { v: hostile, g: 1, t: JSON.parse(`{"__proto__": 1, "${tagVersion('z')}": 2}`) }, 60_000);
        const entry = (await store.read(key('p'), [])).entry!;
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.getPrototypeOf(entry.v)).toBe(Object.prototype);
        expect((entry.v as Record<string, unknown>).polluted).toBeUndefined();
        expect(Object.getPrototypeOf(entry.t)).toBe(Object.prototype);
        expect(Object.keys(entry.t!).sort()).toEqual(['__proto__', tagVersion('z')].sort());
        expect(entry.t![tagVersion('z')]).toBe(2);
      });
    }
  });
}

// Helpers shared by the Redis-backed store tests.

/** The redis-server Jest's global setup started (or REDIS_URL). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: the Jest global setup starts a redis-server and sets it');
  return url;
}

/** Raw access to a Redis or Cluster, for the suite. */
export function rawOf(client: Redis | Cluster): RawRedis {
  const c = client as Redis;
  return {
    set: (key, value) => c.set(key, value),
    getBuffer: (key) => c.getBuffer(key),
    pttl: (key) => c.pttl(key),
    exists: (key) => c.exists(key),
    del: (key) => c.del(key),
  };
}

