import 'reflect-metadata';
import { Cacheable, configureCache, ManualScheduler, WriteBehind, type CacheRuntime, type CacheStore } from '../../src/index.js';
import { storeFactories } from '../helpers/store-factories.js';
import { settle, until } from '../helpers/waiting.js';
import { FakeDatabase } from './fake-database.js';

/**
 * Merged write-behind counters read back right: a @Cacheable read of the same namespace and key
 * returns the database value combined with the queued deltas (through `merge`) before the flush,
 * and the database value after it; never the bare delta, never a delta counted twice.
 */
describe.each(storeFactories())('@WriteBehind merge: @Cacheable reads the stored value plus the queued deltas ($name)', ({ create }) => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let store: CacheStore;
  let prefix: string;

  beforeEach(async () => {
    scheduler = new ManualScheduler();
    store = await create();
    prefix = `mr-${Math.random().toString(36).slice(2)}`;
    runtime = configureCache({ store, prefix });
    db = new FakeDatabase();
    db.rows.set('p', 10);
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function views() {
    const database = db;
    class Views {
      loads = 0;
      @WriteBehind({ namespace: 'views', key: (id: string) => id, merge: (a: number, b: number) => a + b, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async addViews(id: string, n: number) {
        await database.write([[id, ((database.rows.get(id) as number | undefined) ?? 0) + n]]);
      }

      @Cacheable({ namespace: 'views', key: (id: string) => id, ttl: '10m' })
      async getViews(id: string): Promise<number> {
        this.loads++;
        return (database.rows.get(id) as number | undefined) ?? 0;
      }
    }
    return new Views();
  }
  const raw = async () => (await store.read(`${prefix}:views:p`, [])).entry;

  it('before the flush: the cached database value plus the queued deltas; after it: the database value', async () => {
    const v = views();
    expect(await v.getViews('p')).toBe(10);
    await v.addViews('p', 1);
    await v.addViews('p', 2);
    expect(await v.getViews('p')).toBe(13);
    expect((await raw())?.v).toBe(10); // the cache keeps the database value, never the delta
    expect(v.loads).toBe(1);
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('p')).toBe(13);
    expect(await v.getViews('p')).toBe(13);
    expect(await v.getViews('p')).toBe(13);
    expect(v.loads).toBe(2); // the flush dropped the entry once; the next read loaded the new total
  });

  it('a miss while deltas are queued loads the database value and adds them', async () => {
    const v = views();
    await v.addViews('p', 5);
    expect(await v.getViews('p')).toBe(15);
    expect(await v.getViews('p')).toBe(15);
    expect(v.loads).toBe(1); // the database value was cached (not the sum)
    expect((await raw())?.v).toBe(10);
  });

  it('a read while the merged write runs waits for it and counts the delta once', async () => {
    const v = views();
    expect(await v.getViews('p')).toBe(10);
    await v.addViews('p', 3);
    db.hold();
    const flushing = scheduler.runAll(); // the method runs, held before its database write
    await until(() => db.maxConcurrent === 1, 'the method to reach the database');
    expect(db.calls).toEqual([]);
    let read: number | undefined;
    const reading = v.getViews('p').then((n) => (read = n));
    await settle();
    expect(read).toBeUndefined(); // the database may or may not hold the delta yet: the read waits
    await v.addViews('p', 4); // queued behind the one in flight
    db.release();
    await flushing;
    await reading;
    expect(db.rows.get('p')).toBe(13);
    expect(read).toBe(17); // 13 from the database (written), plus the 4 still queued
    expect(await v.getViews('p')).toBe(17);
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('p')).toBe(17);
    expect(await v.getViews('p')).toBe(17);
  });

  it('a failed attempt leaves the delta queued: reads keep adding it until it is written', async () => {
    const v = views();
    await v.addViews('p', 2);
    db.down = true;
    await scheduler.advance(60_000); // the first attempt fails; a retry is scheduled
    expect(runtime.stats().retries).toBe(1);
    expect(await v.getViews('p')).toBe(12);
    db.down = false;
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('p')).toBe(12);
    expect(await v.getViews('p')).toBe(12);
  });
});
