import type { WriteBehindOptions } from '../options/write-behind.js';
import { parseDuration } from '../duration.js';
import { DecoratorUsageError } from '../errors.js';
import type { EntryTarget } from '../runtime/entry-target.js';
import { escapeSegment } from '../stores/key-layout.js';
import type { MethodPlan } from '../runtime/plan.js';
import { MsgpackSerializer } from '../serializer.js';
import type { FlusherSettings, PendingIndex } from './flusher.js';
import { CircuitBreaker } from '../stores/circuit-breaker.js';
import type { CacheStore } from '../cache-store.js';
import { JournalCommands, type JournalConnection } from './journal-commands.js';
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
  onOutage: 'retry',
  maxPending: 10_000,
  backpressure: 'wait',
  journalGroup: 'cachekit',
  claimIdleMs: 30_000,
  leaseMs: 2_000,
  /** Journal commands on a store that has no `timeoutMs` of its own. */
  journalTimeoutMs: 500,
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
 * What a journal's commands run under: the store's client, deadline (`timeoutMs`) and circuit
 * breaker (a RedisStore's own, a TieredStore's L2's), so the journal fails as fast as the store
 * does; a store with a client but neither gets a breaker of its own and a 500 ms deadline.
 */
export function journalConnectionOf(store: CacheStore, client: JournalClient): JournalConnection {
  type Remote = { timeoutMs?: unknown; breaker?: unknown; name?: unknown };
  const candidates = [store as unknown as Remote, (store as unknown as { l2?: Remote }).l2];
  for (const c of candidates) {
    if (c !== undefined && c !== null && c.breaker instanceof CircuitBreaker && typeof c.timeoutMs === 'number') {
      return { client, timeoutMs: c.timeoutMs, breaker: c.breaker, name: String(c.name ?? store.name) };
    }
  }
  return { client, timeoutMs: WRITE_BEHIND_DEFAULTS.journalTimeoutMs, breaker: new CircuitBreaker(), name: store.name };
}

/**
 * The default journal stream of a method: `<prefix>#wb:{Class.method}`, or with an explicit
 * namespace `<prefix>#wb:{<namespace>/Class.method}`, so that classes of one name in different
 * namespaces never share a journal, and a restarted process finds its own.
 */
export function defaultJournalStream(prefix: string, method: string, namespace: string): string {
  const tag = namespace === method ? method : `${namespace}/${method}`;
  return `${escapeSegment(prefix)}#wb:{${tag}}`;
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
    const leaseMs = ms(options.journal?.leaseMs, d.leaseMs, 'journal.leaseMs');
    const claimIntervalMs = ms(options.journal?.claimIntervalMs, Math.max(1, Math.floor(Math.min(claimIdleMs / 3, leaseMs / 2))), 'journal.claimIntervalMs');
    const stream = options.journal?.stream ?? defaultJournalStream(runtime.settings.prefix, method, target.namespace);
    const group = options.journal?.group ?? d.journalGroup;
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
    batchSize: options.batch?.size ?? d.batchSize,
    intervalMs: ms(options.batch?.intervalMs, d.intervalMs, 'batch.intervalMs'),
    concurrency: options.concurrency ?? d.concurrency,
    attempts: options.retry?.attempts ?? d.attempts,
    backoffMs: ms(options.retry?.backoffMs, d.backoffMs, 'retry.backoffMs'),
    maxBackoffMs: ms(options.retry?.maxBackoffMs, d.maxBackoffMs, 'retry.maxBackoffMs'),
    onOutage: options.retry?.onOutage ?? d.onOutage,
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
