import { Redis } from 'ioredis';
import { RedisStore } from '../../src/index.js';
import { rawOf, redisUrl, runStoreSuite, sleep } from './store-suite.js';

runStoreSuite('RedisStore', async () => {
  const errors: unknown[] = [];
  const store = new RedisStore({ connection: redisUrl() });
  store.attach({ onError: (e) => errors.push(e) });
  const raw = new Redis(redisUrl());
  return {
    store,
    errors,
    raw: rawOf(raw),
    advance: (ms) => sleep(ms),
    close: async () => {
      await store.close();
      await raw.quit();
    },
  };
});
