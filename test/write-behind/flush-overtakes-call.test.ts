import { Cacheable, configureCache, Invalidate, MemoryStore, WriteBehind, type CacheRuntime, type CacheStore } from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

/**
 * A @WriteBehind call reads the namespace versions before it writes its pending entry; the flush
 * can run the method and release the key meanwhile (found by the fault campaign, seed 633945367,
 * with the store stalled). The call must then write no pending entry: one would outlive the write
 * and, since invalidations keep pending entries, hide every later change of the row.
 */
describe('@WriteBehind: a flush that overtakes the call it writes', () => {
  let runtime: CacheRuntime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  /** A MemoryStore whose versions reads the test can hold (the write-behind call awaits them before its pending entry). */
  function heldStore() {
    const memory = new MemoryStore();
    let gate: Gate | undefined;
    const store: CacheStore = {
      name: 'held',
      read: (key, versionKeys) => memory.read(key, versionKeys),
      readVersions: async (keys) => {
        if (gate) await gate.opened;
        return memory.readVersions(keys);
      },
      write: (key, entry, ttlMs) => memory.write(key, entry, ttlMs),
      writeIf: (key, entry, ttlMs, expected) => memory.writeIf(key, entry, ttlMs, expected),
      writeTombstone: (key, tombstone, ttlMs, writer) => memory.writeTombstone(key, tombstone, ttlMs, writer),
      delete: (keys) => memory.delete(keys),
      bump: (keys) => memory.bump(keys),
      clear: () => memory.clear(),
      close: () => memory.close(),
    };
    return {
      memory,
      store,
      hold: () => (gate = new Gate()),
      open: () => {
        gate?.open();
        gate = undefined;
      },
    };
  }

  function rowsClass(db: Map<string, number>) {
    class Rows {
      @WriteBehind({ namespace: 'rows', key: (k: string) => k, batch: { size: 100, intervalMs: 60_000 } })
      async save(k: string, v: number) {
        db.set(k, v);
      }

      @Cacheable({ namespace: 'rows', key: (k: string) => k })
      async get(k: string) {
        return db.get(k) ?? 0;
      }

      @Invalidate({ namespace: 'rows', key: (k: string) => k })
      async changedElsewhere(k: string, v: number) {
        db.set(k, v);
      }
    }
    return new Rows();
  }

  it('leaves no pending entry behind: after an @Invalidate, reads return the row the database holds', async () => {
    const held = heldStore();
    runtime = configureCache({ store: held.store });
    const db = new Map<string, number>();
    const rows = rowsClass(db);
    held.hold();
    const call = rows.save('a', 1);
    await until(() => runtime!.stats().methods['Rows.save']?.queued === 1, 'the write is queued');
    await runtime.flush(); // the method runs and the key is released while the call waits for its versions
    expect(db.get('a')).toBe(1);
    held.open();
    await call;
    expect(await rows.get('a')).toBe(1);
    await rows.changedElsewhere('a', 2);
    expect(await rows.get('a')).toBe(2);
    const { entry } = await held.memory.read('cachekit:rows:a', []);
    expect(entry?.w).toBeUndefined();
  });

  it("caches the value the method wrote, not the older pending entry of a call coalesced into the same write (campaign seed 2110357932)", async () => {
    const held = heldStore();
    runtime = configureCache({ store: held.store });
    const db = new Map<string, number>();
    const rows = rowsClass(db);
    await rows.save('a', 1); // its pending entry (1) is in the store
    held.hold();
    const second = rows.save('a', 2); // coalesced into the same queued write; held before its pending entry
    await until(() => runtime!.stats().methods['Rows.save']?.queued === 2, 'the second call is queued');
    await runtime.flush(); // writes 2, then releases the key, whose pending entry still says 1
    expect(db.get('a')).toBe(2);
    held.open();
    await second;
    const { entry } = await held.memory.read('cachekit:rows:a', []);
    expect(entry).toMatchObject({ v: 2 });
    expect(entry?.w).toBeUndefined();
    expect(await rows.get('a')).toBe(2);
  });
});
