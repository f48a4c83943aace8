/**
 * What a write-behind flusher is built from: its settings, resolved once per method from the
 * decorator options (by `resolveFlusherSettings` in runtime/flusher-settings.ts), and the index
 * it reports its queued keys to. Types only.
 */
import type { BackpressurePolicy, DeadLetter, OutagePolicy } from '../options/write-behind.js';
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import type { FlusherHost, FlusherStats } from './flusher-host.js';
import type { JournalHost, RedisStreamJournal } from './redis-stream-journal.js';
import type { WriteItem } from './write-item.js';

/** Where a flusher reports the keys it holds, for read-your-writes across every flusher of a runtime. */
export interface PendingIndex {
  setPending(key: string, item: WriteItem): void;
  clearPending(key: string, item: WriteItem): void;
}

/** Everything a flusher is built from, resolved from the decorator options. */
export interface FlusherSettings {
  /** `Class.method`. */
  method: string;
  /** The runtime the flusher reports to. */
  runtime: FlusherHost;
  /** The method's counters. */
  stats: FlusherStats;
  index: PendingIndex;
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
   * Called once the item's method call succeeded (`written`) or the item was dead-lettered, before
   * it settles (before reads stop seeing the queued value): puts the cache entry of the key
   * right. Never rejects. See `runtime/pending-entries.ts`.
   */
  release?: (item: WriteItem, written: boolean) => Promise<void>;
}
