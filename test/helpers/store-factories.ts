import { MemoryStore, RedisStore, TieredStore, type CacheStore, type Clock } from '../../src/index.js';

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

/** A store under test whose memory tier (if any) runs on the test's clock. */
export interface TimedStoreFactory {
  name: string;
  create(clock: Clock): CacheStore;
}

/** Every store, the memory ones on `clock` (Redis keeps its own time: give entries without times a TTL the test cannot reach). */
export function timedStoreFactories(): TimedStoreFactory[] {
  const url = process.env.REDIS_URL!;
  return [
    { name: 'MemoryStore', create: (clock) => new MemoryStore({ clock }) },
    { name: 'RedisStore', create: () => new RedisStore({ connection: url }) },
    { name: 'TieredStore', create: (clock) => new TieredStore({ l1: new MemoryStore({ clock }), l2: new RedisStore({ connection: url }) }) },
  ];
}
