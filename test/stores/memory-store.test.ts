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
});
