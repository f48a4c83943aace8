import { MemoryStore, errors, type CacheStore } from '../../src/index.js';
import { writeTombstone } from '../../src/runtime/tombstones.js';
import { PENDING_COUNTER_BITS, type ReadResult, type StoredEntry } from '../../src/cache-store.js';

/** A custom store with only the required methods (no writeTombstone), over a MemoryStore. */
function customStore(inner = new MemoryStore(), beforeWriteIf?: () => Promise<void>): CacheStore {
  return {
    name: 'custom',
    read: (key: string, versionKeys: readonly string[]): Promise<ReadResult> => inner.read(key, versionKeys),
    readVersions: (versionKeys: readonly string[]) => inner.readVersions(versionKeys),
    write: (key: string, entry: StoredEntry, ttlMs: number) => inner.write(key, entry, ttlMs),
    writeIf: async (key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined) => {
      await beforeWriteIf?.();
      return inner.writeIf(key, entry, ttlMs, expected);
    },
    delete: (keys: readonly string[]) => inner.delete(keys),
    bump: (versionKeys: readonly string[]) => inner.bump(versionKeys),
    clear: () => inner.clear(),
    close: () => inner.close(),
  };
}

const writer = 12345;
const pending = (v: unknown): StoredEntry => ({ v, g: writer * 2 ** PENDING_COUNTER_BITS + 7, w: 1 });

describe('invalidating a key of a store without writeTombstone (a custom store)', () => {
  it("keeps another writer's pending entry (a queued write-behind value), as the built-in stores do", async () => {
    const inner = new MemoryStore();
    const store = customStore(inner);
    await inner.write('k', pending(10), 60_000);
    expect(await writeTombstone(store, 'k', 5_000)).toBe(false);
    expect((await inner.read('k', [])).entry).toEqual(pending(10));
  });

  it('tombstones the pending entry of the writer that releases it, an ordinary entry, and a key with no entry', async () => {
    const inner = new MemoryStore();
    const store = customStore(inner);
    await inner.write('own', pending(10), 60_000);
    expect(await writeTombstone(store, 'own', 5_000, writer)).toBe(true);
    await inner.write('plain', { v: 5, g: 99 }, 60_000);
    expect(await writeTombstone(store, 'plain', 5_000)).toBe(true);
    expect(await writeTombstone(store, 'none', 5_000)).toBe(true);
    for (const key of ['own', 'plain', 'none']) expect((await inner.read(key, [])).entry).toMatchObject({ d: 1 });
  });

  it('fails with a StoreError (reported and retried by the runtime) when the key changes under every compare-and-set', async () => {
    const inner = new MemoryStore();
    let g = 1;
    const store = customStore(inner, () => inner.write('busy', { v: g, g: g++ }, 60_000));
    await expect(writeTombstone(store, 'busy', 5_000)).rejects.toThrow(errors.StoreError);
    expect((await inner.read('busy', [])).entry).toMatchObject({ v: 5 });
  });
});
