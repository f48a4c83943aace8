/** Defaults of @WriteBehind, in one place (the README quotes them). */
export const WRITE_BEHIND_DEFAULTS = {
  batchSize: 100,
  intervalMs: 1_000,
  concurrency: 1,
  attempts: 5,
  backoffMs: 100,
  maxBackoffMs: 30_000,
  onOutage: 'retry',
  maxPending: 10_000,
  backpressure: 'wait',
  journalGroup: 'cachekit',
  claimIdleMs: 30_000,
  leaseMs: 2_000,
  /** Journal commands on a store that has no `timeoutMs` of its own. */
  journalTimeoutMs: 500,
} as const;
