import { MemoryStore, type CacheStore } from '../../src/index.js';

/** A store under test, built fresh for each test. */
export interface StoreFactory {
  name: string;
  create(): Promise<CacheStore>;
}

/** Every store the cross-store tests run against. */
export function storeFactories(): StoreFactory[] {
  return [{ name: 'MemoryStore', create: async () => new MemoryStore() }];
}
