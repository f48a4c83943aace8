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

  it('leaves no pending entry behind: after an @Invalidate, reads return the row the database holds', async () => {
    const memory = new MemoryStore();
    const versionsRead = new Gate();
    let holdVersions = false;
    // the runtime's store: the MemoryStore, with the versions read of the write-behind call held
    const store: CacheStore = {
      name: 'held',
      read: (key, versionKeys) => memory.read(key, versionKeys),
      readVersions: async (keys) => {
        if (holdVersions) await versionsRead.opened;
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
    runtime = configureCache({ store });
    const db = new Map<string, number>();
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
    const rows = new Rows();
    holdVersions = true;
    const call = rows.save('a', 1);
    await until(() => runtime!.stats().methods['Rows.save']?.queued === 1, 'the write is queued');
    await runtime.flush(); // the method runs and the key is released while the call waits for its versions
    expect(db.get('a')).toBe(1);
    holdVersions = false;
    versionsRead.open();
    await call;
    expect(await rows.get('a')).toBe(1);
    await rows.changedElsewhere('a', 2);
    expect(await rows.get('a')).toBe(2);
    const { entry } = await memory.read('cachekit:rows:a', []);
    expect(entry?.w).toBeUndefined();
  });
});
