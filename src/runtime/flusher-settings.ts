import type { WriteBehindOptions } from '../options/write-behind.js';
import { parseDuration } from '../duration.js';
import { DecoratorUsageError } from '../errors.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';
import { MsgpackSerializer } from '../serializer.js';
import type { FlusherSettings, PendingIndex } from '../write-behind/flusher-settings.js';
import { JournalCommands } from '../write-behind/journal-commands.js';
import { defaultJournalStream, journalClientOf, journalConnectionOf } from '../write-behind/journal-connection.js';
import { WRITE_BEHIND_DEFAULTS } from '../defaults.js';
import { RedisStreamJournal } from '../write-behind/redis-stream-journal.js';
import { realScheduler } from '../write-behind/scheduler.js';
import { PendingEntries } from './pending-entries.js';
import { untimed } from './timed-store.js';

/** The value a call caches (and merges): `value(...args)`, else the argument at `valueArg`, else the last one. */
export function valueOfCall(options: WriteBehindOptions): (args: unknown[]) => unknown {
  const { value, valueArg } = options;
  if (value !== undefined) return (args) => value(...args);
  if (valueArg !== undefined) return (args) => args[valueArg];
  return (args) => args[args.length - 1];
}

/**
 * Resolves a method's flusher settings from its decorator options and entry target.
 * @throws DecoratorUsageError when `durable: true` but the store has no Redis client
 */
export function resolveFlusherSettings(target: EntryTarget, options: WriteBehindOptions, plan: MethodPlan, index: PendingIndex): FlusherSettings {
  const { runtime, method, stats } = target;
  const store = untimed(target.store);
  const d = WRITE_BEHIND_DEFAULTS;
  const ms = (value: number | string | undefined, fallback: number, name: string) =>
    value === undefined ? fallback : parseDuration(value, `@WriteBehind ${method}: ${name}`);
  // the method's own scheduler, else the runtime's (configureCache({ scheduler })): one clock for reads and flushes
  const scheduler = options.scheduler ?? runtime.settings.scheduler ?? realScheduler;
  let journal: FlusherSettings['journal'];
  if (options.durable ?? d.durable) {
    const client = journalClientOf(store);
    if (client === undefined) {
      throw new DecoratorUsageError(
        `@WriteBehind on ${method}: durable: true needs a store with a Redis client (RedisStore or TieredStore, or any store with an ioredis \`client\`); store '${store.name}' has none`,
      );
    }
    const claimIdleMs = ms(options.journal?.claimIdleMs, d.journal.claimIdleMs, 'journal.claimIdleMs');
    const leaseMs = ms(options.journal?.leaseMs, d.journal.leaseMs, 'journal.leaseMs');
    const claimIntervalMs = ms(options.journal?.claimIntervalMs, Math.max(1, Math.floor(Math.min(claimIdleMs / 3, leaseMs / 2))), 'journal.claimIntervalMs');
    const stream = options.journal?.stream ?? defaultJournalStream(runtime.settings.prefix, method, target.namespace);
    const group = options.journal?.group ?? d.journal.group;
    const serializer = runtime.settings.serializer ?? new MsgpackSerializer();
    const connection = journalConnectionOf(store, client);
    const lastWins = options.merge === undefined;
    journal = (host) =>
      new RedisStreamJournal({ commands: new JournalCommands(connection), stream, group, claimIdleMs, claimIntervalMs, leaseMs, lastWins, scheduler, serializer, host });
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
    batchSize: options.batch?.size ?? d.batch.size,
    intervalMs: ms(options.batch?.intervalMs, d.batch.intervalMs, 'batch.intervalMs'),
    concurrency: options.concurrency ?? d.concurrency,
    attempts: options.retry?.attempts ?? d.retry.attempts,
    backoffMs: ms(options.retry?.backoffMs, d.retry.backoffMs, 'retry.backoffMs'),
    maxBackoffMs: ms(options.retry?.maxBackoffMs, d.retry.maxBackoffMs, 'retry.maxBackoffMs'),
    onOutage: options.retry?.onOutage ?? d.retry.onOutage,
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
