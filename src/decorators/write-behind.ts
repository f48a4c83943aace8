import type { Duration } from '../duration.js';
import type { KeyOption } from '../runtime/keys.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkChoice, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames,
} from './validate-options.js';

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
export interface WriteBehindOptions {
  /** Key of the entry (same meaning as on @Cacheable). @default a stable encoding of all arguments */
  key?: KeyOption;
  /** Namespace of the entry. @default the class's @CacheDefaults namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Time to live of the cached value once its write has been flushed. @default the runtime's `ttl` */
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
  /** Retries of a failed write: attempts in all, exponential backoff with full jitter. @default { attempts: 5, backoffMs: 100, maxBackoffMs: 30000 } */
  retry?: { attempts?: number; backoffMs?: number; maxBackoffMs?: number };
  /** Receives a write that failed every attempt. @default none: it is reported through the error hook */
  deadLetter?: (item: DeadLetter) => void | Promise<void>;
  /** Most writes queued (after coalescing). @default 10000 */
  maxPending?: number;
  /** What a write does when `maxPending` writes are queued. @default 'wait' */
  backpressure?: BackpressurePolicy;
  /** Journal every write in a Redis Stream before the call resolves and replay it after a crash (needs a Redis-backed store). @default false */
  durable?: boolean;
  /** Name of a registered store. @default the default store */
  store?: string;
}

const OPTIONS = [
  'key', 'namespace', 'ttl', 'value', 'valueArg', 'merge', 'batch', 'batchWith', 'concurrency', 'retry', 'deadLetter',
  'maxPending', 'backpressure', 'durable', 'store',
] as const;

/**
 * Write-behind (write-back): the call stores the value in the cache and resolves at once;
 * the method (the database write) runs later, batched and coalesced per key by the
 * flusher, with retries, backpressure and, with `durable: true`, a Redis Stream journal
 * that survives a crash. The method must be idempotent (an upsert): delivery is at least once.
 */
export function WriteBehind(options?: WriteBehindOptions): DualMethodDecorator {
  const d = 'WriteBehind';
  const o = checkOptionNames(d, options, OPTIONS);
  checkKeyOption(d, o.key);
  checkName(d, 'namespace', o.namespace);
  checkDuration(d, 'ttl', o.ttl);
  checkFunction(d, 'value', o.value);
  checkNumber(d, 'valueArg', o.valueArg, 0, Infinity, true);
  checkFunction(d, 'merge', o.merge);
  if (o.batch !== undefined) {
    const batch = checkOptionNames(d, o.batch, ['size', 'intervalMs']);
    checkNumber(d, 'batch.size', batch.size, 1, Infinity, true);
    checkDuration(d, 'batch.intervalMs', batch.intervalMs);
  }
  checkName(d, 'batchWith', o.batchWith);
  checkNumber(d, 'concurrency', o.concurrency, 1, Infinity, true);
  if (o.retry !== undefined) {
    const retry = checkOptionNames(d, o.retry, ['attempts', 'backoffMs', 'maxBackoffMs']);
    checkNumber(d, 'retry.attempts', retry.attempts, 1, Infinity, true);
    checkDuration(d, 'retry.backoffMs', retry.backoffMs);
    checkDuration(d, 'retry.maxBackoffMs', retry.maxBackoffMs);
  }
  checkFunction(d, 'deadLetter', o.deadLetter);
  checkNumber(d, 'maxPending', o.maxPending, 1, Infinity, true);
  checkChoice(d, 'backpressure', o.backpressure, ['wait', 'flush', 'reject']);
  checkBoolean(d, 'durable', o.durable);
  checkName(d, 'store', o.store);
  return defineMethodDecorator(d, { cache: { kind: 'WriteBehind', options: o as WriteBehindOptions } });
}
