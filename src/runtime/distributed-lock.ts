import type { EntryTarget } from './entry-target.js';
import { lockKey } from '../stores/key-layout.js';

/** How long a distributed miss lock lives, and how long others wait for its holder. */
export interface DistributedLockSettings {
  /** Expiry of the lock, so a crashed holder frees it. @default 10_000 */
  lockTtlMs: number;
  /** How long a waiter polls for the holder's result before running the method itself. @default 5_000 */
  waitMs: number;
  /** Interval between a waiter's reads. @default 20 */
  pollMs: number;
}

const DEFAULTS: DistributedLockSettings = { lockTtlMs: 10_000, waitMs: 5_000, pollMs: 20 };

/** Runs a miss under a lock shared by every process (and reads the holder's result instead of running it again). */
export type LockedRun = (
  key: string,
  run: () => Promise<unknown>,
  tryRead: () => Promise<{ value: unknown } | undefined>,
) => Promise<unknown>;

/**
 * Distributed stampede protection: the first process to miss a key takes a lock in the
 * shared store and runs the method; the others poll the cache for its result, and run the
 * method themselves if the lock holder has not delivered within `waitMs` (or the store
 * fails). Returns undefined when the store cannot lock.
 */
export function createDistributedLock(target: EntryTarget, settings: Partial<DistributedLockSettings> = {}): LockedRun | undefined {
  const { store, runtime, method, stats } = target;
  const acquire = store.acquireLock?.bind(store);
  const release = store.releaseLock?.bind(store);
  if (!acquire || !release) return undefined;
  const { lockTtlMs, waitMs, pollMs } = { ...DEFAULTS, ...settings };
  return async (key, run, tryRead) => {
    // in a key space of its own (see lockKey): never another entry's key
    const lock = lockKey(key);
    let token: string | undefined;
    try {
      token = await acquire(lock, lockTtlMs);
    } catch (error) {
      runtime.report(error, { operation: 'lock', method, key }, stats);
      return run();
    }
    if (token !== undefined) {
      try {
        // A holder that finished just before we took the lock may have stored the value already.
        const stored = await tryRead().catch(() => undefined);
        if (stored) return stored.value;
        return await run();
      } finally {
        release(lock, token).catch((error) => runtime.report(error, { operation: 'unlock', method, key }, stats));
      }
    }
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      try {
        const found = await tryRead();
        if (found) return found.value;
      } catch (error) {
        runtime.report(error, { operation: 'read', method, key }, stats);
        break;
      }
    }
    return run();
  };
}
