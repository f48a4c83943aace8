/**
 * `runtime.inspect()`: a snapshot of a runtime for dashboards and metrics exporters (the
 * `cachekit/prometheus`, `cachekit/opentelemetry` and `cachekit/dashboard` kind): each method with
 * its labels and counters, each write-behind queue, each store's state. Labels and counts only,
 * never a key or a value.
 */
import type { CacheStore, StoreState } from '../cache-store.js';
import type { CacheStats } from './stats.js';
import type { WriteBehindRegistry } from '../write-behind/write-behind-registry.js';
/** What a decorated method is, for `runtime.inspect()`: its decorator and where its entries live. */
export interface MethodLabels {
  /** The caching decorator (`'Invalidate'` for a method with only `@Invalidate`). */
  readonly kind: 'Cacheable' | 'CacheableMany' | 'WriteThrough' | 'WriteBehind' | 'Invalidate';
  readonly namespace: string;
  /** The name of its store. */
  readonly store: string;
}

/** A write-behind method's queue right now. */
export interface WriteBehindState {
  readonly method: string;
  /** Writes held: queued, in flight or waiting to retry. */
  readonly pending: number;
  /** Writes whose method call is running or waiting for its retry. */
  readonly inFlight: number;
  /** Age of the oldest write held, in ms on the flusher's clock (0 when none). */
  readonly oldestPendingAgeMs: number;
  /** Attempts that failed and were retried, since start (or the last `resetStats`). */
  readonly retries: number;
  /** Writes handed to the dead-letter handler. */
  readonly deadLetters: number;
}

/**
 * `runtime.inspect()`: a snapshot for dashboards and metrics exporters. Labels and counts only,
 * never a key or a value.
 */
export interface CacheInspection {
  /** Every method that was called, with its labels (when compiled) and its counters. */
  readonly methods: ReadonlyArray<{ readonly method: string; readonly labels: MethodLabels | undefined; readonly stats: CacheStats }>;
  readonly writeBehind: readonly WriteBehindState[];
  /** Each store of the runtime (default first), as it reports itself. */
  readonly stores: readonly StoreState[];
}

/** Builds the snapshot of `runtime.inspect()` from the runtime's parts. */
export function inspectRuntime(
  methods: Record<string, CacheStats>,
  labels: ReadonlyMap<string, MethodLabels>,
  writeBehind: WriteBehindRegistry | undefined,
  stores: readonly CacheStore[],
): CacheInspection {
  return {
    methods: Object.entries(methods).map(([method, stats]) => ({ method, labels: labels.get(method), stats })),
    writeBehind: (writeBehind?.inspect() ?? []).map((queue) => ({
      ...queue,
      retries: methods[queue.method]?.retries ?? 0,
      deadLetters: methods[queue.method]?.deadLetters ?? 0,
    })),
    stores: [...new Set(stores)].map((store) => store.inspect?.() ?? { name: store.name }),
  };
}
