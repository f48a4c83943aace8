import 'reflect-metadata';
import { Cacheable, configureCache, ManualScheduler, WriteBehind, type CacheRuntime, type CacheStore } from '../../src/index.js';
import { chaosStore, type ChaosStore } from 'cachekit/testing';
import { storeFactories } from '../helpers/store-factories.js';
import { FakeDatabase } from './fake-database.js';

/**
 * The cache entry of a queued last-wins write (a pending entry, `w`): what every process reads
 * while the write is queued, and what it becomes once the write reached the method. The store
 * itself is read to see what another process would read (the e2e tests run a second process).
 */
describe.each(storeFactories())('@WriteBehind pending entries ($name)', ({ create }) => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let inner: CacheStore;
  let chaos: ChaosStore;
  let prefix: string;
  const errors: string[] = [];

  beforeEach(async () => {
    scheduler = new ManualScheduler();
    inner = await create();
    chaos = chaosStore(inner);
    prefix = `pe-${Math.random().toString(36).slice(2)}`;
    errors.length = 0;
    runtime = configureCache({ store: chaos, prefix, onError: (e, c) => errors.push(`${c.operation}${c.step ? ` (${c.step})` : ''}: ${(e as Error).message}`) });
    db = new FakeDatabase();
    db.rows.set('a', 'old row');
  });
  afterEach(async () => {
    chaos.mode('ok');
    db.release();
    await runtime.close();
  });

  // 'dead-letter': these tests make the database fail to dead-letter a write (an outage is otherwise waited out)
  function products(retry: { attempts: number; onOutage?: 'retry' | 'dead-letter' } = { attempts: 1, onOutage: 'dead-letter' }) {
    const database = db;
    class Products {
      loads = 0;
      @WriteBehind({ namespace: 'p', key: (id: string) => id, ttl: '1s', scheduler, retry, batch: { size: 100, intervalMs: 60_000 } })
      async save(id: string, row: string) {
        await database.write([[id, row]]);
      }

      @Cacheable({ namespace: 'p', key: (id: string) => id, ttl: '10m' })
      async load(id: string) {
        this.loads++;
        return database.rows.get(id) ?? null;
      }
    }
    return new Products();
  }
  const raw = async () => (await inner.read(`${prefix}:p:a`, [])).entry;

  it('a failed cache write of the call never leaves the pre-write entry served after the flush', async () => {
    const p = products();
    expect(await p.load('a')).toBe('old row'); // cached: the pre-write entry
    chaos.mode('throw'); // the call's cache write (and its versions read) fail
    await p.save('a', 'new row');
    chaos.mode('ok');
    // both are the cache side of the write (its versions read, then the pending entry): writes, not a read
    expect(errors).toEqual(['write (write-behind pending entry): chaos: store unavailable', 'write (write-behind pending entry): chaos: store unavailable']);
    expect(await p.load('a')).toBe('new row'); // read-your-writes, from the queue
    await scheduler.runAll(); // the flush: the method runs, then the entry is released
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    expect((await raw())?.v).not.toBe('old row');
    expect(await p.load('a')).toBe('new row');
    expect(await p.load('a')).toBe('new row');
  });

  it('holds a pending entry while queued; an invalidation of the key keeps it; the flush makes it an ordinary entry', async () => {
    const p = products();
    await p.save('a', 'new row');
    expect(await raw()).toEqual({ v: 'new row', g: expect.any(Number), n: expect.any(Number), w: 1 });
    await runtime.invalidate({ namespace: 'p', keys: ['a'] });
    expect(await raw()).toEqual({ v: 'new row', g: expect.any(Number), n: expect.any(Number), w: 1 });
    await runtime.invalidate({ namespace: 'p', allEntries: true });
    expect(await p.load('a')).toBe('new row');
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    expect(await raw()).toEqual({ v: 'new row', g: expect.any(Number), n: expect.any(Number) }); // no longer pending
    // an ordinary entry again: an invalidation drops it, the next read loads the database
    db.rows.set('a', 'newer row');
    await runtime.invalidate({ namespace: 'p', keys: ['a'] });
    expect(await p.load('a')).toBe('newer row');
    expect(p.loads).toBe(1);
  });

  it('a dead-lettered write tombstones its pending entry: reads go back to the database', async () => {
    const p = products();
    db.down = true;
    await p.save('a', 'lost row');
    await scheduler.runAll();
    await runtime.flush();
    expect(runtime.stats().deadLetters).toBe(1);
    expect((await raw())?.d).toBe(1);
    db.down = false;
    expect(await p.load('a')).toBe('old row');
  });

  it('a newer queued write of the key keeps its pending entry when the older one settles', async () => {
    const p = products();
    db.hold();
    await p.save('a', 'first');
    const flushing = scheduler.runAll(); // 'first' is in flight, held by the database
    await new Promise((r) => setImmediate(r));
    await p.save('a', 'second'); // waits behind 'first'
    expect((await raw())?.v).toBe('second');
    db.release();
    await flushing;
    await runtime.flush();
    expect(db.rows.get('a')).toBe('second');
    expect(await raw()).toEqual({ v: 'second', g: expect.any(Number), n: expect.any(Number) });
    expect(await p.load('a')).toBe('second');
  });
});
