/**
 * cachekit: method decorators for caching (cache-aside, write-through, write-behind,
 * invalidation) over a pluggable store. This file only exports the public API (and loads
 * reflect-metadata, which the decorators use, so users never import it themselves).
 */
import 'reflect-metadata';
export { configureCache, getCacheRuntime } from './runtime/configure-cache.js';
export type { CacheConfig } from './options/configure-cache.js';
export { CacheRuntime } from './runtime/cache-runtime.js';
export type { ErrorContext, Logger, InvalidateTarget } from './options/cache-runtime.js';
export type { CacheStats, CacheStatsReport } from './runtime/stats.js';
export type { CacheInspection, MethodLabels, WriteBehindState } from './runtime/inspect.js';
export type { CacheEvents, CacheEventName, StoreOperation } from './runtime/events.js';
export type { KeyOption, KeyPart } from './options/key.js';

export { Cacheable } from './decorators/cacheable.js';
export type { CacheableOptions, TtlFunction } from './options/cacheable.js';
export type { ResilientReadOptions } from './options/resilient-reads.js';
export { CacheableMany, type BatchMethodDecorator } from './decorators/cacheable-many.js';
export type { CacheableManyOptions } from './options/cacheable-many.js';
export type { CacheHandle, CacheSetOptions, CacheWrapOptions } from './options/cache-handle.js';
export { bypassAll, type CallScopeMode } from './runtime/call-scope.js';
export type { TagsOption } from './options/tags.js';
export { WriteThrough } from './decorators/write-through.js';
export type { WriteThroughOptions } from './options/write-through.js';
export { WriteBehind } from './decorators/write-behind.js';
export type { WriteBehindOptions, BackpressurePolicy, DeadLetter, OutagePolicy } from './options/write-behind.js';
export { Invalidate } from './decorators/invalidate.js';
export type { InvalidateOptions, InvalidateWhen, InvalidateMode } from './options/invalidate.js';
export { CacheDefaults } from './decorators/cache-defaults.js';
export type { CacheDefaultsOptions } from './options/cache-defaults.js';

export { MemoryStore } from './stores/memory/memory-store.js';
export type { MemoryStoreOptions, Clock } from './options/memory-store.js';
export type { EvictionPolicy } from './options/memory-store.js';
export type { CacheStore, StoredEntry, ReadResult, KeyScope, SyncOperations, StoreHooks, StoreState, StoreRecovery, RecoveryKind } from './cache-store.js';
export { RedisStore, type RedisReadResult } from './stores/redis/redis-store.js';
export type { RedisStoreOptions, RedisClient } from './options/redis-store.js';
export { TieredStore, type TieredStoreOptions } from './stores/tiered/tiered-store.js';
export { InvalidationBus, type InvalidationMessage } from './stores/tiered/invalidation-bus.js';
export type { InvalidationBusOptions } from './options/invalidation-bus.js';
export { CircuitBreaker } from './stores/redis/circuit-breaker.js';
export type { CircuitBreakerOptions, CircuitState } from './options/circuit-breaker.js';
export { MsgpackSerializer, JsonSerializer, type Serializer } from './serializer.js';
export { parseDuration, quote, type Duration } from './duration.js';
export { errors } from './errors.js';
export * from './errors.js';
export { ManualScheduler } from './write-behind/manual-scheduler.js';
export type { ManualSchedulerOptions } from './options/manual-scheduler.js';
export type { WriteBehindScheduler, TimerHandle, TimerOptions } from './options/write-behind-scheduler.js';
export type { WriteBehindJournalOptions } from './options/write-behind.js';
export type { WriteBehindRegistry } from './write-behind/write-behind-registry.js';
export { recoverWriteBehind, type WriteBehindRecovery, type WriteBehindRecoveryCounts } from './runtime/recover-write-behind.js';
