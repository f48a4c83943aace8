import { quote } from '../duration.js';
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkArgumentIndex, checkBoolean, checkChoice, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames,
  checkTemplateArguments,
} from './validate-options.js';
import type { WriteBehindJournalOptions, WriteBehindOptions } from '../options/write-behind.js';
import type { NoneMissing } from '../known-options.js';

/** The option names @WriteBehind knows: every key of {@link WriteBehindOptions}, no other. */
const WRITE_BEHIND_OPTIONS = [
  'key', 'namespace', 'ttl', 'value', 'valueArg', 'merge', 'batch', 'batchWith', 'concurrency', 'retry', 'deadLetter',
  'maxPending', 'backpressure', 'durable', 'journal', 'store', 'scheduler', 'drainOnSignal',
] as const satisfies readonly (keyof WriteBehindOptions)[];
type _EveryWriteBehindOption = NoneMissing<Exclude<keyof WriteBehindOptions, (typeof WRITE_BEHIND_OPTIONS)[number]>>;

type BatchOptions = NonNullable<WriteBehindOptions['batch']>;
/** The names `batch` knows. */
const BATCH_OPTIONS = ['size', 'intervalMs'] as const satisfies readonly (keyof BatchOptions)[];
type _EveryBatchOption = NoneMissing<Exclude<keyof BatchOptions, (typeof BATCH_OPTIONS)[number]>>;

type RetryOptions = NonNullable<WriteBehindOptions['retry']>;
/** The names `retry` knows. */
const RETRY_OPTIONS = ['attempts', 'backoffMs', 'maxBackoffMs', 'onOutage'] as const satisfies readonly (keyof RetryOptions)[];
type _EveryRetryOption = NoneMissing<Exclude<keyof RetryOptions, (typeof RETRY_OPTIONS)[number]>>;

/** The names `journal` knows: every key of {@link WriteBehindJournalOptions}. */
const JOURNAL_OPTIONS = ['stream', 'group', 'claimIdleMs', 'claimIntervalMs', 'leaseMs'] as const satisfies readonly (keyof WriteBehindJournalOptions)[];
type _EveryJournalOption = NoneMissing<Exclude<keyof WriteBehindJournalOptions, (typeof JOURNAL_OPTIONS)[number]>>;

type DrainOptions = Exclude<NonNullable<WriteBehindOptions['drainOnSignal']>, boolean>;
/** The names `drainOnSignal` knows in its object form. */
const DRAIN_OPTIONS = ['signals', 'timeoutMs'] as const satisfies readonly (keyof DrainOptions)[];
type _EveryDrainOption = NoneMissing<Exclude<keyof DrainOptions, (typeof DRAIN_OPTIONS)[number]>>;

/**
 * Write-behind (write-back): the call stores the value in the cache and resolves at once;
 * the method (the database write) runs later, batched and coalesced per key by the
 * flusher, with retries, backpressure and, with `durable: true`, a Redis Stream journal
 * that survives a crash. The method must be idempotent (an upsert): delivery is at least once.
 */
export function WriteBehind<A extends any[] = any[]>(options?: WriteBehindOptions<A>): DualMethodDecorator<A> {
  const d = 'WriteBehind';
  const o = checkOptionNames(d, options, WRITE_BEHIND_OPTIONS);
  checkKeyOption(d, o.key);
  checkName(d, 'namespace', o.namespace);
  checkDuration(d, 'ttl', o.ttl);
  checkFunction(d, 'value', o.value);
  checkNumber(d, 'valueArg', o.valueArg, 0, Infinity, true);
  checkFunction(d, 'merge', o.merge);
  if (o.batch !== undefined) {
    const batch = checkOptionNames(d, o.batch, BATCH_OPTIONS, 'batch');
    checkNumber(d, 'batch.size', batch.size, 1, Infinity, true);
    checkDuration(d, 'batch.intervalMs', batch.intervalMs);
  }
  checkName(d, 'batchWith', o.batchWith);
  checkNumber(d, 'concurrency', o.concurrency, 1, Infinity, true);
  if (o.retry !== undefined) {
    const retry = checkOptionNames(d, o.retry, RETRY_OPTIONS, 'retry');
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
    const journal = checkOptionNames(d, o.journal, JOURNAL_OPTIONS, 'journal');
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
  const o = checkOptionNames(d, value, DRAIN_OPTIONS, 'drainOnSignal');
  if (o.signals !== undefined && (!Array.isArray(o.signals) || o.signals.length === 0 || !o.signals.every((s) => typeof s === 'string' && /^SIG[A-Z0-9]+$/.test(s)))) {
    throw new TypeError(`@${d}: drainOnSignal.signals must be a non-empty array of signal names like 'SIGTERM'; got ${quote(o.signals)}`);
  }
  checkDuration(d, 'drainOnSignal.timeoutMs', o.timeoutMs);
}
