/**
 * cachekit/testing: helpers for testing code that uses cachekit (with Jest, Vitest or node:test),
 * and for testing a custom store. See docs/testing.md.
 */
export { createTestCache, type TestCache, type TestCacheOptions } from './test-cache.js';
export { TestClock } from './test-clock.js';
export type { CallOutcome, ObservedCall } from './outcome.js';
export { recordingStore, type RecordingStore, type RecordedOperation, type RecordedRead, type RecordedWrite, type RecordedInvalidation } from './recording-store.js';
export { disableCaching } from './disable-caching.js';
export { chaosStore, type ChaosStore, type ChaosMode } from './chaos-store.js';
export { runStoreSuite, type StoreHarness, type StoreHarnessFactory, type StoreSuiteOptions, type TestFramework, type RawRedis } from './store-suite.js';
