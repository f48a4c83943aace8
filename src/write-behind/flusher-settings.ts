/**
 * What a write-behind flusher is built from: its settings, resolved once per method from the
 * decorator options (by `resolveFlusherSettings` in runtime/flusher-settings.ts), and the
 * numbering its items share with the other flushers of the runtime. Types only.
 */
import type { BackpressurePolicy, DeadLetter, OutagePolicy } from '../options/write-behind.js';
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import type { FlusherHost, FlusherStats } from './flusher-host.js';
import type { JournalHost, RedisStreamJournal } from './redis-stream-journal.js';
import type { WriteItem } from './write-item.js';

/**
 * Numbers the items of every flusher of a runtime in one order, so that the newest queued write
 * of a key across flushers is the one with the highest `seq` (read-your-writes asks each flusher
 * for its newest item of the key; see `WriteBehindFlushers.pending`).
 */
export interface ItemSequence {
  /** The next number: higher than every number handed out before. */
  next(): number;
}

/** Everything a flusher is built from, resolved from the decorator options. */
export interface FlusherSettings {
  /** `Class.method`. */
  method: string;
  /** The runtime the flusher reports to. */
  runtime: FlusherHost;
  /** The method's counters. */
  stats: FlusherStats;
  /** Numbers new items (shared by the runtime's flushers). */
  sequence: ItemSequence;
  /** The undecorated method. */
  original: (...args: any[]) => any;
  batchWith: string | undefined;
  merge: ((previous: any, next: any) => unknown) | undefined;
  /** The argument index that receives the merged value (`valueArg`, else the last). */
  valueArg: number | undefined;
  batchSize: number;
  intervalMs: number;
  concurrency: number;
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** What failures during an outage do: `'retry'` (never counted toward `attempts`) or `'dead-letter'` (counted like any). */
  onOutage: OutagePolicy;
  deadLetter: ((item: DeadLetter) => void | Promise<void>) | undefined;
  maxPending: number;
  backpressure: BackpressurePolicy;
  scheduler: WriteBehindScheduler;
  /** The full key of a call (replayed entries). @throws KeyBuildError */
  keyOf(args: unknown[]): string;
  /** The value of a call (replayed entries). */
  valueOf(args: unknown[]): unknown;
  /** `this` for replayed writes when known up front (a static method's class). */
  replaySelf: unknown;
  /** Builds the journal (durable mode). */
  journal: ((host: JournalHost) => RedisStreamJournal) | undefined;
  /**
   * Called once the items' method call succeeded (`written`: a unit's items at once) or an item
   * was dead-lettered, superseded or given up, before they settle (before reads stop seeing the
   * queued values): puts the cache entries of their keys right. Never rejects. See
   * `runtime/pending-entries.ts`.
   */
  release?: (items: readonly WriteItem[], written: boolean) => Promise<void>;
}
