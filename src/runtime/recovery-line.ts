import type { RecoveryKind, StoreRecovery } from '../cache-store.js';

/** What each kind of recovery is called in its log line. */
const PHRASES: Record<RecoveryKind, string> = {
  connection: 'redis connection restored',
  breaker: 'circuit breaker closed',
  tracking: 'version tracking restored',
  bus: 'invalidation bus reconnected',
};

/**
 * The log line of one recovery, e.g. `cachekit: redis connection restored after 3.2 s (store 'redis')`.
 * The duration is in seconds with one decimal, whatever its length, so lines stay easy to grep.
 */
export function recoveryLine({ store, what, downMs }: StoreRecovery): string {
  return `cachekit: ${PHRASES[what]} after ${(Math.max(0, downMs) / 1000).toFixed(1)} s (store '${store}')`;
}
