/** The optional operations a wrapper of a store keeps (`runtime/timed-store.ts`, `timeout-guard.ts`). */

import type { CacheStore } from '../cache-store.js';

/** The optional asynchronous operations a wrapper runs through its own step (a deadline, a timer). */
export type WrappedOperation = 'readMany' | 'writeTombstone' | 'acquireLock' | 'releaseLock';

/** The optional operations of a store, as a wrapper of it keeps them. */
export type OptionalOperations = Pick<CacheStore, 'readSync' | 'readLocal' | WrappedOperation>;

/**
 * The optional operations `inner` has, for a wrapper to take on: the synchronous ones (`readSync`,
 * `readLocal`: no I/O) handed through, the asynchronous ones run through `around`. Only those the
 * store has are present (callers test for them); the lock is kept only whole (`acquireLock` and
 * `releaseLock`), as `distributedLock` needs both.
 */
export function optionalOperations(inner: CacheStore, around: <T>(operation: WrappedOperation, run: () => Promise<T>) => Promise<T>): OptionalOperations {
  const kept: OptionalOperations = {};
  if (inner.readSync) kept.readSync = inner.readSync.bind(inner);
  if (inner.readLocal) kept.readLocal = inner.readLocal.bind(inner);
  const readMany = inner.readMany?.bind(inner);
  if (readMany) kept.readMany = (keys, versionKeys) => around('readMany', () => readMany(keys, versionKeys));
  const writeTombstone = inner.writeTombstone?.bind(inner);
  if (writeTombstone) kept.writeTombstone = (key, tombstone, ttlMs, writer) => around('writeTombstone', () => writeTombstone(key, tombstone, ttlMs, writer));
  const acquireLock = inner.acquireLock?.bind(inner);
  const releaseLock = inner.releaseLock?.bind(inner);
  if (acquireLock && releaseLock) {
    kept.acquireLock = (key, ttlMs) => around('acquireLock', () => acquireLock(key, ttlMs));
    kept.releaseLock = (key, token) => around('releaseLock', () => releaseLock(key, token));
  }
  return kept;
}
