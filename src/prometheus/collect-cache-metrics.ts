import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CacheRuntime } from 'cachekit';

/** Options of {@link collectCacheMetrics}. */
export interface PrometheusMetricsOptions {
  /** The registry the metrics are registered in (prom-client's `register` for the global one). */
  register: Registry;
  /** Prefix of every metric name. @default 'cachekit_' */
  prefix?: string;
  /** Buckets of `cachekit_load_duration_seconds`, in seconds. @default prom-client's default buckets */
  loadDurationBuckets?: number[];
  /**
   * Buckets of `cachekit_store_operation_duration_seconds`, in seconds.
   * @default 0.1 ms to 2.5 s: `[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]`
   */
  storeOperationBuckets?: number[];
}

/** Default buckets of the store operation histogram, in seconds: a memory read takes microseconds, a Redis round trip a fraction of a millisecond. */
const STORE_OPERATION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** Unsubscribes from the runtime's events and removes the metrics from the registry. */
export type StopCacheMetrics = () => void;

type MethodLabelNames = 'method' | 'namespace' | 'store';

/**
 * Registers cachekit's metrics for `runtime` in `register` (names follow the Prometheus
 * conventions: `cachekit_hits_total{method,namespace,store}`, ...; the list is in
 * docs/observability.md#metrics).
 *
 * Counters count events from this call on (they are not reset by `runtime.resetStats()`);
 * the write-behind and store gauges read `runtime.inspect()` at each scrape. Labels are bounded:
 * the method (`Class.method`), its namespace and store, a loader's outcome, a store's name, its
 * breaker state, and a store operation (`read`, `write`, `writeIf`, ...) with its outcome (`ok`,
 * `error`, `timeout`); never a key or a value.
 *
 * @returns a function that stops: unsubscribes and unregisters every metric it registered
 */
export function collectCacheMetrics(runtime: CacheRuntime, options: PrometheusMetricsOptions): StopCacheMetrics {
  const { register } = options;
  if (register === undefined || typeof register.registerMetric !== 'function') throw new TypeError('collectCacheMetrics: expected { register: a prom-client Registry }');
  const prefix = options.prefix ?? 'cachekit_';
  const registers = [register];
  const names: string[] = [];
  const counter = (name: string, help: string, labelNames: readonly string[]) => {
    names.push(prefix + name);
    return new Counter({ name: prefix + name, help, labelNames, registers });
  };
  const methodLabelNames: readonly MethodLabelNames[] = ['method', 'namespace', 'store'];

  // method -> namespace and store, from runtime.inspect() (a method is described when compiled,
  // before its first event); null for a name never described (a runtime.cache() handle), so that
  // inspect() runs once per name, not once per event
  const described = new Map<string, { namespace: string; store: string } | null>();
  const labelsOf = (method: string | undefined, store?: string): Record<MethodLabelNames, string> => {
    if (method === undefined) return { method: '', namespace: '', store: store ?? '' };
    let labels = described.get(method);
    if (labels === undefined) {
      for (const m of runtime.inspect().methods) if (m.labels !== undefined) described.set(m.method, { namespace: m.labels.namespace, store: m.labels.store });
      labels = described.get(method);
      if (labels === undefined) described.set(method, null);
    }
    return { method, namespace: labels?.namespace ?? '', store: store ?? labels?.store ?? '' };
  };

  const hits = counter('hits_total', 'Reads answered from the cache.', methodLabelNames);
  const misses = counter('misses_total', 'Reads that missed and ran the method.', methodLabelNames);
  const stale = counter('stale_total', 'Reads answered with a stale value within its grace.', methodLabelNames);
  const sets = counter('sets_total', 'Entries written to a store.', methodLabelNames);
  const bypasses = counter('bypasses_total', 'Reads that skipped the cache.', methodLabelNames);
  const errors = counter('errors_total', 'Failures a call survived or reported (method labels empty when not tied to a method).', methodLabelNames);
  const evictions = counter('evictions_total', 'Entries evicted for room by a memory store.', ['store']);
  const retries = counter('write_behind_retries_total', 'Write-behind attempts that failed and will be retried.', ['method']);
  const deadLetters = counter('write_behind_dead_letters_total', 'Write-behind writes handed to the dead-letter handler.', ['method']);
  const flushes = counter('write_behind_flushed_items_total', 'Write-behind writes (one per key of a batch) that reached their method.', ['method']);

  names.push(`${prefix}load_duration_seconds`);
  const loads = new Histogram({
    name: `${prefix}load_duration_seconds`,
    help: 'Duration of the loader (the decorated method run by a miss, a refresh or a batch), by outcome.',
    labelNames: [...methodLabelNames, 'outcome'],
    registers,
    ...(options.loadDurationBuckets === undefined ? {} : { buckets: options.loadDurationBuckets }),
  });

  names.push(`${prefix}store_operation_duration_seconds`);
  const storeOperations = new Histogram({
    name: `${prefix}store_operation_duration_seconds`,
    help: 'Duration of a store operation the runtime called (read, readMany, readVersions, write, writeIf, writeTombstone, bump, ...; a synchronous in-process read is not timed), by store, operation and outcome (ok, error, timeout).',
    labelNames: ['store', 'operation', 'outcome'],
    registers,
    buckets: [...(options.storeOperationBuckets ?? STORE_OPERATION_BUCKETS)],
  });

  const gauge = (name: string, help: string, labelNames: readonly string[], read: (set: (labels: Record<string, string>, value: number) => void) => void) => {
    names.push(prefix + name);
    return new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        read((labels, value) => this.set(labels, value));
      },
    });
  };
  gauge('write_behind_pending', 'Write-behind writes held: queued, in flight or waiting to retry.', ['method'], (set) => {
    for (const q of runtime.inspect().writeBehind) set({ method: q.method }, q.pending);
  });
  gauge('write_behind_in_flight', 'Write-behind writes whose method call is running or waiting for its retry.', ['method'], (set) => {
    for (const q of runtime.inspect().writeBehind) set({ method: q.method }, q.inFlight);
  });
  gauge('write_behind_oldest_pending_age_seconds', 'Age of the oldest write-behind write held (0 when none).', ['method'], (set) => {
    for (const q of runtime.inspect().writeBehind) set({ method: q.method }, q.oldestPendingAgeMs / 1000);
  });
  gauge('store_breaker_state', "A Redis-backed store's circuit breaker: 1 for its current state, 0 for the others.", ['store', 'state'], (set) => {
    for (const s of runtime.inspect().stores) {
      if (s.breaker === undefined) continue;
      for (const state of ['closed', 'open', 'half-open'] as const) set({ store: s.name, state }, s.breaker === state ? 1 : 0);
    }
  });
  gauge('store_versions_tracked', 'Whether a RedisStore tracks namespace and tag versions in memory right now (1) or not (0).', ['store'], (set) => {
    for (const s of runtime.inspect().stores) if (s.versionsTracked !== undefined) set({ store: s.name }, s.versionsTracked ? 1 : 0);
  });
  gauge('store_entries', 'Entries a store holds in this process (memory stores, a tiered L1).', ['store'], (set) => {
    for (const s of runtime.inspect().stores) if (s.entries !== undefined) set({ store: s.name }, s.entries);
  });

  const off = [
    runtime.on('hit', (e) => hits.inc(labelsOf(e.method, e.store))),
    runtime.on('miss', (e) => misses.inc(labelsOf(e.method, e.store))),
    runtime.on('stale', (e) => stale.inc(labelsOf(e.method, e.store))),
    runtime.on('set', (e) => sets.inc(labelsOf(e.method, e.store))),
    runtime.on('bypass', (e) => bypasses.inc(labelsOf(e.method))),
    runtime.on('error', (e) => errors.inc(labelsOf(e.method))),
    runtime.on('evict', (e) => evictions.inc({ store: e.store })),
    runtime.on('retry', (e) => retries.inc({ method: e.method })),
    runtime.on('deadLetter', (e) => deadLetters.inc({ method: e.method })),
    runtime.on('flush', (e) => flushes.inc({ method: e.method }, e.items)),
    runtime.on('load', (e) => loads.observe({ method: e.method, namespace: e.namespace, store: e.store, outcome: e.outcome }, e.durationMs / 1000)),
    runtime.on('store', (e) => storeOperations.observe({ store: e.store, operation: e.operation, outcome: e.outcome }, e.durationMs / 1000)),
  ];
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const unsubscribe of off) unsubscribe();
    for (const name of names) register.removeSingleMetric(name);
  };
}
