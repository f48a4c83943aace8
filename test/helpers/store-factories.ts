import { MemoryStore, RedisStore, TieredStore, type CacheStore } from '../../src/index.js';

/** A store under test, built fresh for each test. */
export interface StoreFactory {
  name: string;
  create(): Promise<CacheStore>;
}

/** Every store the cross-store tests run against (Redis ones on the test run's real redis-server). */
export function storeFactories(): StoreFactory[] {
  const url = process.env.REDIS_URL!;
  return [
    { name: 'MemoryStore', create: async () => new MemoryStore() },
    { name: 'RedisStore', create: async () => new RedisStore({ connection: url }) },
    {
      name: 'TieredStore',
      create: async () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) }),
    },
  ];
}
