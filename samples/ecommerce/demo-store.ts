import { MemoryStore, RedisStore, TieredStore, type CacheStore } from 'cachekit';

/** The cache store the demo runs on. */
export interface DemoStore {
  store: CacheStore;
  /** One line saying what the store is. */
  description: string;
  /** Whether it is the TieredStore over Redis. */
  tiered: boolean;
}

/**
 * The demo's store: a MemoryStore, or with a Redis URL a TieredStore: a MemoryStore L1 in
 * process in front of a RedisStore L2 shared by every instance (the RedisStore opens its own
 * connection and `runtime.close()` closes it).
 */
export function createDemoStore(redisUrl: string | undefined, maxEntries: number): DemoStore {
  if (!redisUrl) {
    return {
      store: new MemoryStore({ maxEntries }),
      description: 'MemoryStore, in process (set REDIS_URL to run on TieredStore: MemoryStore L1 + RedisStore L2)',
      tiered: false,
    };
  }
  return {
    store: new TieredStore({ l1: new MemoryStore({ maxEntries }), l2: new RedisStore({ connection: redisUrl }) }),
    description: `TieredStore: MemoryStore L1 + RedisStore L2 at ${redactUrl(redisUrl)}`,
    tiered: true,
  };
}

/** The URL without its password, for printing. */
function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'REDIS_URL';
  }
}
