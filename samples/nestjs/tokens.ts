import type { WriteBehindScheduler } from 'cachekit';

/** The injection token of the sample's {@link ShopDatabase}. */
export const SHOP_DATABASE = Symbol('ShopDatabase');
/** The injection token of the sample's {@link ShopSettings}. */
export const SHOP_SETTINGS = Symbol('ShopSettings');

/** What the sample app is started with (from the environment in main.ts, from the test in the e2e test). */
export interface ShopSettings {
  /** The SQLite file. */
  databaseFile: string;
  /** Redis for the cache (a TieredStore: memory L1, Redis L2); without it, a MemoryStore. */
  redisUrl?: string;
  /** The cache key prefix (distinct per test run on a shared Redis). @default 'shop' */
  cachePrefix?: string;
  /** The write-behind scheduler (a ManualScheduler holds writes until shutdown). @default real timers */
  scheduler?: WriteBehindScheduler;
}
