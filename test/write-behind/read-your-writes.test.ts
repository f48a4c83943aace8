import { Cacheable, configureCache, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';

describe('@WriteBehind: read-your-writes', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let now: number;
  let store: MemoryStore;

  beforeEach(() => {
    scheduler = new ManualScheduler();
    now = 1_000_000;
    store = new MemoryStore({ maxEntries: 2, clock: { now: () => now } });
    runtime = configureCache({ store });
    db = new FakeDatabase();
    db.rows.set('a', 'old row');
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function products() {
    const database = db;
    class Products {
      loads = 0;
      @WriteBehind({ namespace: 'p', key: (id: string) => id, ttl: '1s', scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async save(id: string, row: string) {
        await database.write([[id, row]]);
      }

      @Cacheable({ namespace: 'p', key: (id: string) => id })
      async load(id: string) {
        this.loads++;
        await database.write([]); // a database round trip (held while the test holds the database)
        return database.rows.get(id) ?? null;
      }
    }
    return new Products();
  }

  it('two methods queue writes of one key: a read sees the newer one, then the other while it is still queued', async () => {
    const database = db;
    class Counters {
      loads = 0;
      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async saveSlowly(id: string, row: string) {
        await database.write([[id, row]]);
      }

      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 10 } })
      async saveSoon(id: string, row: string) {
        await database.write([[id, row]]);
      }

      @Cacheable({ namespace: 'p', key: (id: string) => id })
      async load(id: string) {
        this.loads++;
        return database.rows.get(id) ?? null;
      }
    }
    const c = new Counters();
    await c.saveSlowly('a', 'first');
    await c.saveSoon('a', 'second');
    expect(runtime.writeBehind?.pending('cachekit:p:a')?.value).toBe('second');
    expect(await c.load('a')).toBe('second');
    await scheduler.advance(10); // saveSoon's batch is due: 'second' is written; 'first' is still queued
    expect(db.rows.get('a')).toBe('second');
    expect(runtime.writeBehind?.pending('cachekit:p:a')?.value).toBe('first');
    expect(await c.load('a')).toBe('first'); // the value the database will hold once the queued write lands
    await runtime.flush();
    expect(db.rows.get('a')).toBe('first');
    expect(await c.load('a')).toBe('first');
    expect(runtime.writeBehind?.pending('cachekit:p:a')).toBeUndefined();
  });

  it('serves the queued value after the memory store evicted the entry, never the older database row', async () => {
    const p = products();
    await p.save('a', 'new row');
    await p.load('x');
    await p.load('y'); // the store holds 2 entries: the entry of 'a' is evicted
    expect((await store.read('cachekit:p:a', [])).entry).toStrictEqual({ g: expect.any(Number), d: 1 }); // evicted: no value (a tombstone of its absent generation)
    expect(p.loads).toBe(2);
    expect(await p.load('a')).toBe('new row');
    expect(p.loads).toBe(2);
    expect(db.rows.get('a')).toBe('old row');
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    // written: from now on the database itself has the new row
    expect(await p.load('a')).toBe('new row');
    expect(p.loads).toBe(3);
  });

  it('serves the queued value after its TTL has passed while the write is still queued (the pending entry outlives it)', async () => {
    const p = products();
    await p.save('a', 'new row');
    now += 5_000;
    expect((await store.read('cachekit:p:a', [])).entry).toEqual({ v: 'new row', g: expect.any(Number), n: 0, w: 1 });
    await store.delete(['cachekit:p:a']);
    expect(await p.load('a')).toBe('new row');
    expect(p.loads).toBe(0);
  });

  it('a miss that read the old row before the write was queued does not store it over the queued value', async () => {
    const p = products();
    db.hold();
    const staleRead = p.load('a'); // in flight, will return 'old row'
    await new Promise((r) => setImmediate(r));
    await p.save('a', 'new row');
    db.release();
    expect(await staleRead).toBe('old row'); // that caller asked before the write
    expect(await p.load('a')).toBe('new row');
    expect((await store.read('cachekit:p:a', [])).entry?.v).toBe('new row');
    await runtime.flush();
    expect(await p.load('a')).toBe('new row');
    expect(p.loads).toBe(1);
  });

  it('a write queued by another class under the same namespace and key is served too', async () => {
    const p = products();
    class Importer {
      @WriteBehind({ namespace: 'p', key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async put(_id: string, _row: string) {}
    }
    await new Importer().put('a', 'imported row');
    now += 10 * 60_000; // the entry expired (runtime TTL 5m)
    expect(await p.load('a')).toBe('imported row');
    expect(runtime.writeBehind?.pending('cachekit:p:a')).toEqual(expect.objectContaining({ value: 'imported row' }));
    await runtime.flush();
    expect(runtime.writeBehind?.pending('cachekit:p:a')).toBeUndefined();
  });
});
