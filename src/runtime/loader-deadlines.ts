/**
 * How a caller waits for a load (the method run by a miss or a reload): until it settles, or until
 * its soft `timeout` (only when a stale value can be served instead) or its `hardTimeout` passes.
 * The load itself is never cancelled: it finishes in the background and stores its result under
 * its lease, so a write or invalidation that landed meanwhile wins.
 */
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import type { ReadPolicy } from './read-policy.js';
import { LoaderTimeoutError } from '../errors.js';
import type { StoredEntry } from '../cache-store.js';

/** A value a caller may be served instead of the load's result (an entry within its grace). */
export interface StaleValue {
  readonly value: unknown;
  /** The entry it comes from, which a failed reload marks as backing off (`StoredEntry.b`). */
  readonly entry?: StoredEntry;
}

/** What the caller's wait reports. */
export interface WaitHooks {
  /** A stale value is served: the load failed (`error`) or passed a deadline (`timeout`). */
  servedStale(reason: 'error' | 'timeout', error?: unknown): void;
  /** The load passed `timeout` or `hardTimeout`. */
  timedOut(): void;
  /** The message of the LoaderTimeoutError. */
  describe(): string;
}

/**
 * Waits for `loading` under the policy's deadlines. With `stale`, a failed load or one that passes
 * `timeout` (or `hardTimeout`) answers the stale value; without, a load that passes `hardTimeout`
 * rejects with {@link LoaderTimeoutError} and a failed load rejects with its error.
 */
export function waitForLoad(
  loading: Promise<unknown>,
  stale: StaleValue | undefined,
  policy: ReadPolicy,
  scheduler: WriteBehindScheduler,
  hooks: WaitHooks,
): Promise<unknown> {
  const soft = stale === undefined ? 0 : policy.timeoutMs;
  const hard = policy.hardTimeoutMs;
  if (stale === undefined && hard === 0) return loading;
  return new Promise((resolve, reject) => {
    let settled = false;
    let softTimer: unknown;
    let hardTimer: unknown;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      if (softTimer !== undefined) scheduler.clearTimer(softTimer);
      if (hardTimer !== undefined) scheduler.clearTimer(hardTimer);
      return true;
    };
    const timeOut = () => {
      if (!settle()) return;
      hooks.timedOut();
      if (stale !== undefined) {
        hooks.servedStale('timeout');
        resolve(stale.value);
      } else {
        reject(new LoaderTimeoutError(hooks.describe()));
      }
    };
    if (soft > 0 && (hard === 0 || soft < hard)) softTimer = scheduler.setTimer(timeOut, soft);
    if (hard > 0) hardTimer = scheduler.setTimer(timeOut, hard);
    loading.then(
      (value) => {
        if (settle()) resolve(value);
      },
      (error) => {
        if (!settle()) return;
        if (stale === undefined) return reject(error);
        hooks.servedStale('error', error);
        resolve(stale.value);
      },
    );
  });
}
