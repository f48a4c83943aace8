/**
 * cachekit: method decorators for caching (cache-aside, write-through, write-behind,
 * invalidation) over a pluggable store. This file only exports the public API (and loads
 * reflect-metadata, which the decorators use, so users never import it themselves).
 */
import 'reflect-metadata';
export { configureCache, getCacheRuntime, type CacheConfig } from './config.js';
export { CacheRuntime, type ErrorContext, type Logger, type InvalidateTarget } from './runtime/cache-runtime.js';
export type { CacheStats, CacheStatsReport } from './runtime/stats.js';
export type { CacheEvents, CacheEventName } from './runtime/events.js';
export type { KeyOption, KeyPart } from './options/key.js';

export { Cacheable, type CacheableOptions, type TagsOption } from './decorators/cacheable.js';
export { WriteThrough, type WriteThroughOptions } from './decorators/write-through.js';
export { WriteBehind, type WriteBehindOptions, type BackpressurePolicy, type DeadLetter, type OutagePolicy } from './decorators/write-behind.js';
export { Invalidate, type InvalidateOptions, type InvalidateWhen } from './decorators/invalidate.js';
export { CacheDefaults, type CacheDefaultsOptions } from './decorators/cache-defaults.js';

export { MemoryStore, type MemoryStoreOptions, type Clock } from './stores/memory-store.js';
export type { EvictionPolicy } from './stores/eviction/bounded-map.js';
export type { CacheStore, StoredEntry, ReadResult, StoreHooks } from './cache-store.js';
export { RedisStore, type RedisStoreOptions, type RedisClient, type RedisReadResult } from './stores/redis-store.js';
export { TieredStore, type TieredStoreOptions } from './stores/tiered-store.js';
export { InvalidationBus, type InvalidationBusOptions, type InvalidationMessage } from './stores/invalidation-bus.js';
export { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from './stores/circuit-breaker.js';
export { MsgpackSerializer, JsonSerializer, type Serializer } from './serializer.js';
export type { Duration } from './duration.js';
export { errors } from './errors.js';
export * from './errors.js';
export { ManualScheduler, type ManualSchedulerOptions } from './write-behind/manual-scheduler.js';
export type { WriteBehindScheduler, TimerHandle, TimerOptions } from './write-behind/scheduler.js';
export type { WriteBehindJournalOptions } from './decorators/write-behind.js';
export type { WriteBehindRegistry } from './write-behind/write-behind-registry.js';
export { recoverWriteBehind, type WriteBehindRecovery, type WriteBehindRecoveryCounts } from './write-behind/recover-write-behind.js';
