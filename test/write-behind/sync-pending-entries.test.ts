import 'reflect-metadata';
import { Cacheable, configureCache, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import type { SyncOperations } from '../../src/cache-store.js';
import { FakeDatabase } from './fake-database.js';

/**
 * @WriteBehind on a store with sync operations (a MemoryStore): the pending entry is written at
 * once, in the call, and released by a compare-and-set made at once. Each of those operations
 * may throw (a store's own bug, a custom store with sync operations): the call must still
 * resolve, the write must still reach the database, the failure must be reported as the cache
 * side of the write, and no read may be served the value from before the write once the flush
 * is done. (pending-entries.test.ts runs the same guarantees through the asynchronous operations.)
 */

/** A MemoryStore whose sync operations throw while told to (`failing`: which of them). */
class FaultyMemoryStore extends MemoryStore {
  failing = new Set<keyof SyncOperations>();
  calls: Array<keyof SyncOperations> = [];

  override syncOperations(): SyncOperations | undefined {
    const own = super.syncOperations()!;
    const guard =
      <A extends unknown[], R>(name: keyof SyncOperations, op: (...args: A) => R) =>
      (...args: A): R => {
        this.calls.push(name);
        if (this.failing.has(name)) throw new Error(`sync ${name} failed`);
        return op(...args);
      };
    return { readVersions: guard('readVersions', own.readVersions), write: guard('write', own.write), writeIf: guard('writeIf', own.writeIf) };
  }
}

describe('@WriteBehind through a store’s sync operations', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let store: FaultyMemoryStore;
  let db: FakeDatabase;
  const errors: string[] = [];

  beforeEach(() => {
    scheduler = new ManualScheduler();
    store = new FaultyMemoryStore();
    errors.length = 0;
    runtime = configureCache({ store, prefix: 'sync', onError: (e, c) => errors.push(`${c.operation}${c.step ? ` (${c.step})` : ''}: ${(e as Error).message}`) });
    db = new FakeDatabase();
    db.rows.set('a', 'old row');
    db.rows.set('b', 'old b');
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function products() {
    const database = db;
    class Products {
      loads = 0;
      @WriteBehind({ namespace: 'p', key: (id: string) => id, ttl: '1s', scheduler, batchWith: 'saveMany', batch: { size: 100, intervalMs: 60_000 } })
      async save(_id: string, _row: string) {
        throw new Error('written in batches');
      }
      async saveMany(rows: Array<[string, string]>) {
        await database.write(rows);
      }

      @Cacheable({ namespace: 'p', key: (id: string) => id, ttl: '10m' })
      async load(id: string) {
        this.loads++;
        return database.rows.get(id) ?? null;
      }
    }
    return new Products();
  }
  const raw = (id: string) => store.readSync(`sync:p:${id}`, []).entry;

  it('the pending entry is in the store when the call returns, before it is awaited; the flush makes it an ordinary entry', async () => {
    const p = products();
    const call = p.save('a', 'new row');
    expect(raw('a')).toEqual({ v: 'new row', g: expect.any(Number), n: 0, w: 1 });
    expect(await call).toBeUndefined();
    expect(store.calls).toEqual(['readVersions', 'write']);
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    expect(raw('a')).toEqual({ v: 'new row', g: expect.any(Number), n: 0 });
    expect(store.calls.slice(2)).toEqual(['writeIf']);
    expect(await p.load('a')).toBe('new row');
    expect(p.loads).toBe(0);
  });

  it('a sync pending-entry write that throws: the call resolves, the failure is reported, and the pre-write entry is never served after the flush', async () => {
    const p = products();
    expect(await p.load('a')).toBe('old row'); // cached: the pre-write entry
    store.failing.add('write');
    expect(await p.save('a', 'new row')).toBeUndefined();
    store.failing.clear();
    expect(errors).toEqual(['write (write-behind pending entry): sync write failed']);
    expect(await p.load('a')).toBe('new row'); // read-your-writes, from the queue
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    expect(raw('a')?.v).not.toBe('old row');
    expect(await p.load('a')).toBe('new row');
    expect(await p.load('a')).toBe('new row');
  });

  it('a sync versions read that throws: the pending entry is written without versions, and the release tombstones it (reads go to the database)', async () => {
    const p = products();
    store.failing.add('readVersions');
    await p.save('a', 'new row');
    store.failing.clear();
    expect(errors).toEqual(['write (write-behind pending entry): sync readVersions failed']);
    expect(raw('a')).toEqual({ v: 'new row', g: expect.any(Number), w: 1 });
    await scheduler.runAll();
    await runtime.flush();
    expect(db.rows.get('a')).toBe('new row');
    expect(raw('a')?.d).toBe(1);
    db.rows.set('a', 'database row');
    expect(await p.load('a')).toBe('database row');
  });

  it('a release compare-and-set that throws tombstones the key instead: no write of the batch leaves its pending entry', async () => {
    const p = products();
    await p.save('a', 'new row');
    await p.save('b', 'new b');
    store.failing.add('writeIf');
    await scheduler.runAll();
    await runtime.flush();
    store.failing.clear();
    expect(db.rows.get('a')).toBe('new row');
    expect(db.rows.get('b')).toBe('new b');
    expect(raw('a')?.d).toBe(1);
    expect(raw('b')?.d).toBe(1);
    expect(errors).toEqual([]); // a refused or failed compare-and-set is settled by the tombstone, which the store took
    expect(await p.load('a')).toBe('new row');
    expect(await p.load('b')).toBe('new b');
    expect(p.loads).toBe(2);
  });
});
