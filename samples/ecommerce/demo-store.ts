import * as cachekit from 'cachekit';
import { MemoryStore, type CacheStore } from 'cachekit';

/** The cache store the demo runs on. */
export interface DemoStore {
  store: CacheStore;
  /** One line saying what the store is. */
  description: string;
  /** Whether it is the TieredStore over Redis. */
  tiered: boolean;
}

type StoreClass = new (options: Record<string, unknown>) => CacheStore;

/**
 * The demo's store: a MemoryStore, or with a Redis URL a TieredStore (MemoryStore L1 in
 * process, RedisStore L2 shared by every instance, which opens and closes its own connection).
 * RedisStore and TieredStore are looked up at run time, so the demo still runs (in memory) on
 * a build of cachekit that does not have them.
 */
export function createDemoStore(redisUrl: string | undefined, maxEntries: number): DemoStore {
  const memory = (description: string): DemoStore => ({ store: new MemoryStore({ maxEntries }), description, tiered: false });
  if (!redisUrl) return memory('MemoryStore, in process (set REDIS_URL to run on TieredStore: MemoryStore L1 + RedisStore L2)');
  const exported = cachekit as unknown as Record<string, unknown>;
  const RedisStore = exported.RedisStore as StoreClass | undefined;
  const TieredStore = exported.TieredStore as StoreClass | undefined;
  if (typeof RedisStore !== 'function' || typeof TieredStore !== 'function') {
    return memory('MemoryStore, in process (REDIS_URL is set, but this build of cachekit has no RedisStore/TieredStore)');
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
