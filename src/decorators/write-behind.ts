import { quote } from '../duration.js';
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkArgumentIndex, checkBoolean, checkChoice, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames,
  checkTemplateArguments,
} from './validate-options.js';
import type { WriteBehindOptions } from '../options/write-behind.js';

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
