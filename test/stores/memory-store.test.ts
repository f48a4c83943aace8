import { MemoryStore } from '../../src/index.js';
import { runStoreSuite } from './store-suite.js';

runStoreSuite('MemoryStore', async () => {
  let now = 1_000_000;
  const errors: unknown[] = [];
  const store = new MemoryStore({ maxEntries: 10_000, clock: { now: () => now } });
  store.attach({ onError: (e) => errors.push(e) });
  return {
    store,
    errors,
    advance: async (ms) => {
      now += ms;
    },
    close: () => store.close(),
  };
}, false);

describe('MemoryStore: a lease taken before a key lost its record cannot populate it', () => {
  let now = 0;
  const clock = { now: () => now };
  const removals: Array<[string, (s: MemoryStore) => Promise<unknown>]> = [
    ['deleted', (s) => s.delete(['k'])],
    ['expired', async (s) => {
      now += 2_000;
      return s.read('k', []);
    }],
    ['replaced by a value too big to hold', (s) => s.write('k', { v: 'x'.repeat(10_000), g: 9 }, 1_000)],
    ['cleared', (s) => s.clear()],
    ['evicted', async (s) => {
      for (let i = 0; i < 8; i++) await s.write(`other${i}`, { v: i, g: 100 + i }, 0);
    }],
  ];
  it.each(removals)('when it was %s', async (_name, remove) => {
    const store = new MemoryStore({ maxEntries: 4, maxBytes: 1_000, clock });
    const lease = (await store.read('k', [])).entry; // no entry yet
    expect(lease).toBeUndefined();
    await store.write('k', { v: 'newer', g: 1 }, 1_000); // a write after the lease
    await remove(store);
    const now_ = (await store.read('k', [])).entry;
    expect(now_).toStrictEqual({ g: expect.any(Number), d: 1 }); // reads as a miss, with a generation of its own
    expect(await store.writeIf('k', { v: 'older', g: 2 }, 1_000, lease?.g)).toBe(false);
    expect(await store.writeIf('k', { v: 'reloaded', g: 3 }, 1_000, now_!.g)).toBe(true); // a lease taken now does
    expect((await store.read('k', [])).entry).toStrictEqual({ v: 'reloaded', g: 3 });
  });

  it('reads a key that never had a record (in a bucket that never lost one) as no entry', async () => {
    const store = new MemoryStore({ maxEntries: 4 });
    expect((await store.read('never', [])).entry).toBeUndefined();
    expect(await store.writeIf('never', { v: 1, g: 1 }, 0, undefined)).toBe(true);
  });
});
