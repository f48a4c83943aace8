import { Redis } from 'ioredis';
import { Cacheable, configureCache, ManualScheduler, MemoryStore, RedisStore, WriteBehind, type CacheRuntime, type CacheStore } from '../../src/index.js';
import { redisUrl } from '../helpers/redis.js';
import { Gate } from '../helpers/gate.js';
import { settle } from '../helpers/waiting.js';
import { PendingEntries } from '../../src/runtime/pending-entries.js';
import { FakeDatabase } from './fake-database.js';

/**
 * The runtime keeps one record per key while the key's write is queued (the pending entry it
 * wrote and refreshes); the record hangs off the key's write items, not off a map by key. These
 * tests count the records: one per key whatever the items and methods behind it, none once the
 * writes are flushed (a record left behind would have its pending entry refreshed, and so
 * rewritten, after the write it stood for).
 */
describe('@WriteBehind pending-entry records', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let store: MemoryStore;
  const held = () => PendingEntries.of(runtime).heldCount;
  const raw = async (key: string) => (await store.read(`cachekit:p:${key}`, [])).entry;

  beforeEach(() => {
    scheduler = new ManualScheduler();
    store = new MemoryStore();
    runtime = configureCache({ store });
    db = new FakeDatabase();
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function twoMethods() {
    const database = db;
    class Counters {
      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async saveSlowly(id: string, row: string) {
        await database.write([[id, row]]);
      }

      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batchWith: 'saveMany', batch: { size: 100, intervalMs: 10 } })
      async saveSoon(_id: string, _row: string) {
        throw new Error('written in batches by saveMany');
      }

      async saveMany(rows: Array<[string, string]>) {
        await database.write(rows);
      }

      @Cacheable({ namespace: 'p', key: (id: string) => id })
      async load(id: string) {
        return database.rows.get(id) ?? null;
      }
    }
    return new Counters();
  }

  it('one record per queued key, none once a batch is written', async () => {
    const c = twoMethods();
    for (const id of ['a', 'b', 'c']) await c.saveSoon(id, `${id}1`);
    await c.saveSoon('a', 'a2'); // coalesced into the queued write of 'a'
    expect(held()).toBe(3);
    await scheduler.advance(10); // the batch of saveSoon
    await runtime.flush();
    expect(db.calls).toEqual([['a', 'b', 'c']]);
    expect(held()).toBe(0);
    expect(await raw('a')).toEqual({ v: 'a2', g: expect.any(Number), n: expect.any(Number) });
  });

  it('two methods writing one key share its record; it is released once, with the newer write', async () => {
    const c = twoMethods();
    await c.saveSlowly('a', 'first');
    await c.saveSoon('a', 'second');
    expect(held()).toBe(1); // saveSoon's call took over saveSlowly's record of the key
    expect((await raw('a'))?.v).toBe('second');
    await scheduler.advance(10); // saveSoon's batch: 'second' is written and its entry released
    expect(db.rows.get('a')).toBe('second');
    expect(held()).toBe(0);
    expect(await c.load('a')).toBe('first'); // saveSlowly's write of the key is still queued
    await runtime.flush();
    expect(db.rows.get('a')).toBe('first');
    expect(held()).toBe(0);
    expect(await c.load('a')).toBe('first');
  });

  it('a write queued behind one in flight takes the key record over; it is released with the newer write', async () => {
    const c = twoMethods();
    db.hold();
    await c.saveSoon('a', 'first');
    await scheduler.advance(10); // 'first' is in flight, held by the database
    await c.saveSoon('a', 'second'); // waits behind 'first'
    expect(held()).toBe(1);
    expect((await raw('a'))?.v).toBe('second');
    db.release();
    await runtime.flush(); // 'first' settles (the record stays with 'second'), then 'second' is written
    expect(db.calls).toEqual([['a'], ['a']]);
    expect(held()).toBe(0);
    expect(await raw('a')).toEqual({ v: 'second', g: expect.any(Number), n: expect.any(Number) });
  });
});

describe('@WriteBehind release racing a newer write of the key (Redis)', () => {
  /** A RedisStore whose compare-and-sets can be held at a gate, as a slow round trip would hold them. */
  class HeldStore implements CacheStore {
    readonly name = 'held';
    readonly enforcesTimeouts = true;
    hold: Gate | undefined;
    /** Opened when a compare-and-set reached the held gate. */
    reached: Gate | undefined;
    constructor(readonly inner: RedisStore) {}
    read: CacheStore['read'] = (k, v) => this.inner.read(k, v);
    readVersions: CacheStore['readVersions'] = (v) => this.inner.readVersions(v);
    write: CacheStore['write'] = (k, e, t) => this.inner.write(k, e, t);
    writeIf: CacheStore['writeIf'] = async (k, e, t, x) => {
      if (this.hold !== undefined) {
        this.reached?.open();
        await this.hold.opened;
      }
      return this.inner.writeIf(k, e, t, x);
    };
    writeTombstone: NonNullable<CacheStore['writeTombstone']> = (k, e, t, w) => this.inner.writeTombstone(k, e, t, w);
    delete: CacheStore['delete'] = (k) => this.inner.delete(k);
    bump: CacheStore['bump'] = (v) => this.inner.bump(v);
    clear: CacheStore['clear'] = () => this.inner.clear();
    close: CacheStore['close'] = () => this.inner.close();
    attach: NonNullable<CacheStore['attach']> = (h) => this.inner.attach(h);
  }

  it('a release whose compare-and-set failed leaves the pending entry a newer write of the key wrote meanwhile, for other processes to read', async () => {
    const prefix = `race-${process.pid}-${Date.now()}`;
    const raw = new Redis(redisUrl());
    const scheduler = new ManualScheduler();
    const store = new HeldStore(new RedisStore({ connection: redisUrl() }));
    const runtime = configureCache({ store, prefix });
    const db = new FakeDatabase();
    class Counters {
      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batchWith: 'saveMany', batch: { size: 100, intervalMs: 10 } })
      async save(_id: string, _row: string) {
        throw new Error('written in batches by saveMany');
      }
      async saveMany(rows: Array<[string, string]>) {
        await db.write(rows);
      }
    }
    // what another process reads: a store of its own on the same Redis
    const other = new RedisStore({ connection: redisUrl() });
    const key = `${prefix}:p:a`;
    const c = new Counters();
    try {
      await c.save('a', 'first');
      await settle(); // its pending entry has landed
      // the pending entry is lost from Redis (evicted, as by maxmemory): the release's compare-and-set will fail
      expect(await raw.del(key)).toBe(1);
      store.hold = new Gate();
      store.reached = new Gate();
      const flushed = scheduler.advance(10); // 'first' is written, then released: its compare-and-set waits at the gate
      await store.reached.opened;
      expect(db.rows.get('a')).toBe('first');
      await c.save('a', 'second'); // a newer write of the key: its pending entry lands before the release
      expect((await other.read(key, [])).entry).toMatchObject({ v: 'second', w: 1 });
      store.hold.open();
      await flushed;
      await settle();
      // the failed release must not tombstone the newer write's pending entry: another process still reads 'second'
      expect((await other.read(key, [])).entry).toMatchObject({ v: 'second', w: 1 });
      store.hold = undefined;
      await runtime.flush();
      expect(db.rows.get('a')).toBe('second');
    } finally {
      store.hold?.open();
      await runtime.close();
      await other.close();
      raw.disconnect();
    }
  });
});
