import type { WriteBehindOptions } from '../decorators/write-behind.js';
import { parseDuration } from '../duration.js';
import { DecoratorUsageError } from '../errors.js';
import type { EntryTarget } from '../runtime/entry-target.js';
import { escapeSegment } from '../runtime/keys.js';
import type { MethodPlan } from '../runtime/plan.js';
import { MsgpackSerializer } from '../serializer.js';
import type { FlusherSettings, PendingIndex } from './flusher.js';
import type { JournalClient } from './journal-scripts.js';
import { RedisStreamJournal } from './redis-stream-journal.js';
import { realScheduler } from './scheduler.js';
import { PendingEntries } from '../runtime/pending-entries.js';

/** Defaults of @WriteBehind, in one place (the README quotes them). */
export const WRITE_BEHIND_DEFAULTS = {
  batchSize: 100,
  intervalMs: 1_000,
  concurrency: 1,
  attempts: 5,
  backoffMs: 100,
  maxBackoffMs: 30_000,
  maxPending: 10_000,
  backpressure: 'wait',
  journalGroup: 'cachekit',
  claimIdleMs: 30_000,
} as const;

/** The value a call caches (and merges): `value(...args)`, else the argument at `valueArg`, else the last one. */
export function valueOfCall(options: WriteBehindOptions): (args: unknown[]) => unknown {
  const { value, valueArg } = options;
  if (value !== undefined) return (args) => value(...args);
  if (valueArg !== undefined) return (args) => args[valueArg];
  return (args) => args[args.length - 1];
}

/** The Redis client of a store, if it has one (RedisStore and TieredStore expose `client`). */
export function journalClientOf(store: unknown): JournalClient | undefined {
  const client = (store as { client?: unknown } | null)?.client as Partial<JournalClient> | undefined;
  return client !== undefined && client !== null && typeof client.evalshaBuffer === 'function' ? (client as JournalClient) : undefined;
}

/**
 * Resolves a method's flusher settings from its decorator options and entry target.
 * @throws DecoratorUsageError when `durable: true` but the store has no Redis client
 */
export function resolveFlusherSettings(target: EntryTarget, options: WriteBehindOptions, plan: MethodPlan, index: PendingIndex): FlusherSettings {
  const { runtime, method, stats, store } = target;
  const d = WRITE_BEHIND_DEFAULTS;
  const ms = (value: number | string | undefined, fallback: number, name: string) =>
    value === undefined ? fallback : parseDuration(value, `@WriteBehind ${method}: ${name}`);
  const scheduler = options.scheduler ?? realScheduler;
  let journal: FlusherSettings['journal'];
  if (options.durable) {
    const client = journalClientOf(store);
    if (client === undefined) {
      throw new DecoratorUsageError(
        `@WriteBehind on ${method}: durable: true needs a store with a Redis client (RedisStore or TieredStore, or any store with an ioredis \`client\`); store '${store.name}' has none`,
      );
    }
    const claimIdleMs = ms(options.journal?.claimIdleMs, d.claimIdleMs, 'journal.claimIdleMs');
    const claimIntervalMs = ms(options.journal?.claimIntervalMs, Math.max(1, Math.floor(claimIdleMs / 3)), 'journal.claimIntervalMs');
    const stream = options.journal?.stream ?? `${escapeSegment(runtime.settings.prefix)}#wb:{${method}}`;
    const group = options.journal?.group ?? d.journalGroup;
    const serializer = runtime.settings.serializer ?? new MsgpackSerializer();
    journal = (host) => new RedisStreamJournal({ client, stream, group, claimIdleMs, claimIntervalMs, scheduler, serializer, host });
  }
  const valueOf = valueOfCall(options);
  return {
    method,
    runtime,
    stats,
    index,
    original: plan.original,
    batchWith: options.batchWith,
    merge: options.merge,
    valueArg: options.valueArg,
    batchSize: options.batch?.size ?? d.batchSize,
    intervalMs: ms(options.batch?.intervalMs, d.intervalMs, 'batch.intervalMs'),
    concurrency: options.concurrency ?? d.concurrency,
    attempts: options.retry?.attempts ?? d.attempts,
    backoffMs: ms(options.retry?.backoffMs, d.backoffMs, 'retry.backoffMs'),
    maxBackoffMs: ms(options.retry?.maxBackoffMs, d.maxBackoffMs, 'retry.maxBackoffMs'),
    deadLetter: options.deadLetter,
    maxPending: options.maxPending ?? d.maxPending,
    backpressure: options.backpressure ?? d.backpressure,
    scheduler,
    keyOf: (args) => target.keysOf(args) as string,
    valueOf,
    replaySelf: plan.isStatic ? plan.owner : undefined,
    journal,
    release: (item, written) => PendingEntries.of(runtime).release(target, item, written),
  };
}
