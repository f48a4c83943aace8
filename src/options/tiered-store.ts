import type { Duration } from '../duration.js';
import type { InvalidationBusOptions } from './invalidation-bus.js';

/**
 * Options of a `TieredStore`, over the types of its two tiers. `TieredStoreOptions` (exported
 * from stores/tiered/tiered-store.ts and from 'cachekit') is this with `MemoryStore` and `RedisStore`:
 * the tier classes are parameters here so that this types-only module imports no store. See
 * docs/stores/tiered-store.md.
 */
export interface TieredStoreOptionsOf<L1, L2> {
  /** The in-process tier, read first (a `MemoryStore`). */
  l1: L1;
  /** The shared tier, the source of truth (a `RedisStore`). */
  l2: L2;
  /**
   * Longest life of an L1 copy (it never outlives the Redis entry either). Bounds how stale an
   * L1 copy can be if an invalidation is missed without the bus noticing. `0`: only the
   * entry's own TTL. @default '30s'
   */
  l1Ttl?: Duration;
  /** The pub/sub bus that drops other instances' L1 copies, or `false` for a single instance. @default { channel: 'cachekit:invalidation' } */
  bus?: InvalidationBusOptions | false;
  /** Most version counters (namespaces, tags) mirrored in memory; beyond it the mirror starts over. @default 10_000 */
  maxMirroredVersions?: number;
  /** A name for stats and errors. @default 'tiered' */
  name?: string;
}
