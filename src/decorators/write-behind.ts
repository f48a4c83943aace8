import { quote, type Duration } from '../duration.js';
import type { KeyOption } from '../options/key.js';
import type { WriteBehindScheduler } from '../write-behind/scheduler.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkArgumentIndex, checkBoolean, checkChoice, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames,
  checkTemplateArguments,
} from './validate-options.js';

/**
 * What failures during a database outage do: `'retry'` retries them (capped backoff) for as long
 * as the outage lasts, and only poison writes are dead-lettered; `'dead-letter'` counts every
 * failure toward `retry.attempts`, outage or not.
 */
export type OutagePolicy = 'retry' | 'dead-letter';

/** What a full write-behind queue does with one more write. */
export type BackpressurePolicy = 'wait' | 'flush' | 'reject';

/** An item handed to the dead-letter handler after its last failed attempt. */
export interface DeadLetter {
  /** `Class.method` of the write. */
  method: string;
  /** The full cache key of the write. */
  key: string;
  /** The arguments the method was (last) called with. */
  args: unknown[];
  /** How many attempts were made. */
  attempts: number;
  /** The error of the last attempt. */
  error: unknown;
}

/** Options of {@link WriteBehind}. */
export interface WriteBehindOptions<A extends any[] = any[]> {
  /** Key of the entry (same meaning as on @Cacheable). @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's @CacheDefaults namespace, else `ClassName.methodName` */
  namespace?: string;
  /**
   * Time to live of the cached value, counted from the call. While the write is queued, reads
   * in this process see the queued value whatever the TTL (read-your-writes).
   * @default the runtime's `ttl`
   */
  ttl?: Duration;
  /** The value cached at once (and, with `merge`, combined). @default the argument at `valueArg` */
  value?: (...args: any[]) => unknown;
  /** Index of the argument that carries the value: a merged value is passed to the method there. @default the last argument */
  valueArg?: number;
  /** Combines a queued value of the key with a newer one (e.g. `(a, b) => a + b` for counters). @default the newer wins */
  merge?: (previous: any, next: any) => unknown;
  /** Flush a batch when it holds `size` items or `intervalMs` has passed since its first item. @default { size: 100, intervalMs: 1000 } */
  batch?: { size?: number; intervalMs?: number };
  /** Name of a method of the same class that takes an array of argument lists and writes them at once (one transaction). @default none: the method is called per item */
  batchWith?: string;
  /** Most batches (or single items) written at once. @default 1 */
  concurrency?: number;
  /**
   * Retries of a failed write: exponential backoff with full jitter, `backoffMs` doubling up to
   * `maxBackoffMs`. Only poison failures count toward `attempts`: a failure counts when a write of
   * other keys, started after the write's previous failure, succeeded. While every recent attempt
   * fails (the database is down), and while the write fails with nothing else succeeding between its
   * attempts, nothing counts, and writes are retried every `maxBackoffMs` at most for as long as it
   * lasts (`onOutage: 'retry'`). `onOutage: 'dead-letter'` counts every
   * failure (the old rule: an outage longer than the attempts dead-letters every write).
   * @default { attempts: 5, backoffMs: 100, maxBackoffMs: 30000, onOutage: 'retry' }
   */
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number; onOutage?: OutagePolicy };
  /** Receives a write that failed every attempt. @default none: it is reported through the error hook */
  deadLetter?: (item: DeadLetter) => void | Promise<void>;
  /** Most writes queued (after coalescing). @default 10000 */
  maxPending?: number;
  /** What a write does when `maxPending` writes are queued. @default 'wait' */
  backpressure?: BackpressurePolicy;
  /**
   * Journal every write in a Redis Stream before the call resolves and replay it after a crash
   * (needs a store with a Redis `client`: RedisStore or TieredStore; otherwise the first call
   * rejects with a DecoratorUsageError). Delivery is at least once: the method must be idempotent.
   * @default false
   */
  durable?: boolean;
  /** Settings of the durable journal (with `durable: true`). @default see {@link WriteBehindJournalOptions} */
  journal?: WriteBehindJournalOptions;
  /** Name of a registered store. @default the default store */
  store?: string;
  /**
   * The timers and clock of the flusher (batch interval, retry backoff, journal polling) and the
   * jitter source. Inject a `ManualScheduler` in tests to decide exactly when flushes happen.
   * @default real timers, `Date.now`, `Math.random`
   */
  scheduler?: WriteBehindScheduler;
  /**
   * Install SIGTERM/SIGINT handlers (or the `signals` given) that drain the queue before the
   * process exits: they close the runtime (flush, then release timers and connections) and
   * re-raise the signal, unless the application has its own handler for it. `timeoutMs` bounds
   * the drain; writes still queued after it are lost in memory mode (durable mode replays them).
   * @default false
   */
  drainOnSignal?: boolean | { signals?: NodeJS.Signals[]; timeoutMs?: number };
}

/** Settings of the Redis Stream journal of a durable @WriteBehind method. */
export interface WriteBehindJournalOptions {
  /**
   * The stream key (its liveness, recovery lease and newest-write records use it as a prefix).
   * @default `<prefix>#wb:{Class.method}`, or `<prefix>#wb:{<namespace>/Class.method}` with an
   * explicit `namespace` (here or in @CacheDefaults); one hash slot on Redis Cluster
   */
  stream?: string;
  /** The consumer group every instance joins. @default 'cachekit' */
  group?: string;
  /**
   * How long an entry of another consumer must go unacknowledged before this process claims and
   * replays it (XAUTOCLAIM). Live processes refresh their own entries, so only a crashed (or
   * unreachable) process's entries reach it. Longer than your longest Redis outage.
   * @default 30000
   */
  claimIdleMs?: number;
  /**
   * How often this process looks for entries to claim (those of dead consumers, and those idle
   * for `claimIdleMs`). @default min(claimIdleMs / 3, leaseMs / 2)
   */
  claimIntervalMs?: number;
  /**
   * Liveness: every process refreshes a record that it is alive for `leaseMs`, every `leaseMs / 4`.
   * The entries of a consumer whose process is gone are taken over at once, without waiting for
   * `claimIdleMs`: on the same host when its pid no longer runs; from another host once its
   * liveness ran out. @default 2000
   */
  leaseMs?: number;
}

const OPTIONS = [
  'key', 'namespace', 'ttl', 'value', 'valueArg', 'merge', 'batch', 'batchWith', 'concurrency', 'retry', 'deadLetter',
  'maxPending', 'backpressure', 'durable', 'journal', 'store', 'scheduler', 'drainOnSignal',
] as const;

/**
 * Write-behind (write-back): the call stores the value in the cache and resolves at once;
 * the method (the database write) runs later, batched and coalesced per key by the
 * flusher, with retries, backpressure and, with `durable: true`, a Redis Stream journal
 * that survives a crash. The method must be idempotent (an upsert): delivery is at least once.
 */
export function WriteBehind<A extends any[] = any[]>(options?: WriteBehindOptions<A>): DualMethodDecorator<A> {
  const d = 'WriteBehind';
  const o = checkOptionNames(d, options, OPTIONS);
  checkKeyOption(d, o.key);
  checkName(d, 'namespace', o.namespace);
  checkDuration(d, 'ttl', o.ttl);
  checkFunction(d, 'value', o.value);
  checkNumber(d, 'valueArg', o.valueArg, 0, Infinity, true);
  checkFunction(d, 'merge', o.merge);
  if (o.batch !== undefined) {
    const batch = checkOptionNames(d, o.batch, ['size', 'intervalMs'], 'batch');
    checkNumber(d, 'batch.size', batch.size, 1, Infinity, true);
    checkDuration(d, 'batch.intervalMs', batch.intervalMs);
  }
  checkName(d, 'batchWith', o.batchWith);
  checkNumber(d, 'concurrency', o.concurrency, 1, Infinity, true);
  if (o.retry !== undefined) {
    const retry = checkOptionNames(d, o.retry, ['attempts', 'backoffMs', 'maxBackoffMs', 'onOutage'], 'retry');
    checkNumber(d, 'retry.attempts', retry.attempts, 1, Infinity, true);
    checkChoice(d, 'retry.onOutage', retry.onOutage, ['retry', 'dead-letter']);
    checkDuration(d, 'retry.backoffMs', retry.backoffMs);
    checkDuration(d, 'retry.maxBackoffMs', retry.maxBackoffMs);
  }
  checkFunction(d, 'deadLetter', o.deadLetter);
  checkNumber(d, 'maxPending', o.maxPending, 1, Infinity, true);
  checkChoice(d, 'backpressure', o.backpressure, ['wait', 'flush', 'reject']);
  checkBoolean(d, 'durable', o.durable);
  if (o.journal !== undefined) {
    const journal = checkOptionNames(d, o.journal, ['stream', 'group', 'claimIdleMs', 'claimIntervalMs', 'leaseMs'], 'journal');
    if (checkDuration(d, 'journal.leaseMs', journal.leaseMs) === 0) {
      throw new TypeError(`@${d}: journal.leaseMs must be more than 0; got 0 (number)`);
    }
    checkName(d, 'journal.stream', journal.stream);
    checkName(d, 'journal.group', journal.group);
    if (checkDuration(d, 'journal.claimIdleMs', journal.claimIdleMs) === 0) {
      throw new TypeError(`@${d}: journal.claimIdleMs must be more than 0; got 0 (number)`);
    }
    if (checkDuration(d, 'journal.claimIntervalMs', journal.claimIntervalMs) === 0) {
      throw new TypeError(`@${d}: journal.claimIntervalMs must be more than 0; got 0 (number)`);
    }
  }
  checkName(d, 'store', o.store);
  const scheduler = o.scheduler as Partial<WriteBehindScheduler> | undefined;
  if (
    scheduler !== undefined &&
    (typeof scheduler !== 'object' || scheduler === null ||
      !['now', 'setTimer', 'clearTimer'].every((m) => typeof (scheduler as Record<string, unknown>)[m] === 'function'))
  ) {
    throw new TypeError(`@${d}: scheduler must have now(), setTimer() and clearTimer() methods; got ${quote(scheduler)}`);
  }
  checkDrainOnSignal(d, o.drainOnSignal);
  return defineMethodDecorator(d, { cache: { kind: 'WriteBehind', options: o as WriteBehindOptions } }, (method, name) => {
    checkTemplateArguments(d, o.key, method, name);
    checkArgumentIndex(d, 'valueArg', o.valueArg, method, name);
  });
}

function checkDrainOnSignal(d: string, value: unknown): void {
  if (value === undefined || typeof value === 'boolean') return;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`@${d}: drainOnSignal must be a boolean or { signals, timeoutMs }; got ${quote(value)}`);
  }
  const o = checkOptionNames(d, value, ['signals', 'timeoutMs'], 'drainOnSignal');
  if (o.signals !== undefined && (!Array.isArray(o.signals) || o.signals.length === 0 || !o.signals.every((s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s)))) {
    throw new TypeError(`@${d}: drainOnSignal.signals must be a non-empty array of signal names like 'SIGTERM'; got ${quote(o.signals)}`);
  }
  checkDuration(d, 'drainOnSignal.timeoutMs', o.timeoutMs);
}
