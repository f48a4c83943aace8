import { context, metrics, trace, SpanKind, SpanStatusCode, type Attributes, type MeterProvider, type TracerProvider } from '@opentelemetry/api';
import type { CacheRuntime } from 'cachekit';

/** Options of {@link instrumentCache}. */
export interface OpenTelemetryOptions {
  /** Where the metrics go. @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Where the spans go. @default the global TracerProvider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /** Bucket boundaries (advice) of `cachekit.load.duration`, in seconds. @default the SDK's */
  loadDurationBuckets?: number[];
  /** Whether to record spans for loaders and write-behind flushes. @default true */
  spans?: boolean;
}

/** Unsubscribes from the runtime's events and removes the gauges' callback. */
export type StopInstrumentation = () => void;

/** The name (and version) of cachekit's meter and tracer. */
const SCOPE = 'cachekit';

/**
 * Instruments `runtime` with OpenTelemetry: counters (`cachekit.hits`, `cachekit.misses`,
 * `cachekit.stale`, `cachekit.sets`, `cachekit.evictions`, `cachekit.errors`,
 * `cachekit.bypasses`, `cachekit.write_behind.retries`, `cachekit.write_behind.dead_letters`,
 * `cachekit.write_behind.flushed`), the histogram `cachekit.load.duration` (seconds), and
 * observable gauges (`cachekit.write_behind.pending`, `.in_flight`, `.oldest_pending_age`,
 * `cachekit.store.breaker.state`, `cachekit.store.versions_tracked`, `cachekit.store.entries`).
 * The list is in docs/observability.md#metrics.
 *
 * Counters count events from this call on (`runtime.resetStats()` does not reset them); gauges
 * read `runtime.inspect()` once per collection. Attributes: `cachekit.method`,
 * `cachekit.namespace`, `cachekit.store`, `cachekit.outcome` (and a breaker's `cachekit.state`):
 * never a key or a value.
 *
 * Spans: `cachekit.load` for each loader run by a miss, a refresh or a batch, from its start
 * to its end, a child of the span active where the loader settled (the caller's, with a context
 * manager that follows async calls); `cachekit.flush` for each write-behind batch that reached
 * its method (an instant: the flush event carries no duration).
 *
 * @returns a function that stops the instrumentation
 */
export function instrumentCache(runtime: CacheRuntime, options: OpenTelemetryOptions = {}): StopInstrumentation {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = options.spans === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);

  // method -> namespace and store, from runtime.inspect() (a method is described when compiled,
  // before its first event); null for a name never described (a runtime.cache() handle), so that
  // inspect() runs once per name, not once per event
  const described = new Map<string, { namespace: string; store: string } | null>();
  const attributesOf = (method: string | undefined, store?: string): Attributes => {
    if (method === undefined) return store === undefined ? {} : { 'cachekit.store': store };
    let labels = described.get(method);
    if (labels === undefined) {
      for (const m of runtime.inspect().methods) if (m.labels !== undefined) described.set(m.method, { namespace: m.labels.namespace, store: m.labels.store });
      labels = described.get(method);
      if (labels === undefined) described.set(method, null);
    }
    const attributes: Attributes = { 'cachekit.method': method };
    if (labels) attributes['cachekit.namespace'] = labels.namespace;
    const where = store ?? labels?.store;
    if (where !== undefined) attributes['cachekit.store'] = where;
    return attributes;
  };

  const hits = meter.createCounter('cachekit.hits', { description: 'Reads answered from the cache.', unit: '{read}' });
  const misses = meter.createCounter('cachekit.misses', { description: 'Reads that missed and ran the method.', unit: '{read}' });
  const stale = meter.createCounter('cachekit.stale', { description: 'Reads answered with a stale value within its grace.', unit: '{read}' });
  const sets = meter.createCounter('cachekit.sets', { description: 'Entries written to a store.', unit: '{entry}' });
  const bypasses = meter.createCounter('cachekit.bypasses', { description: 'Reads that skipped the cache.', unit: '{read}' });
  const errors = meter.createCounter('cachekit.errors', { description: 'Failures a call survived or reported.', unit: '{error}' });
  const evictions = meter.createCounter('cachekit.evictions', { description: 'Entries evicted for room by a memory store.', unit: '{entry}' });
  const retries = meter.createCounter('cachekit.write_behind.retries', { description: 'Write-behind attempts that failed and will be retried.', unit: '{write}' });
  const deadLetters = meter.createCounter('cachekit.write_behind.dead_letters', { description: 'Write-behind writes handed to the dead-letter handler.', unit: '{write}' });
  const flushed = meter.createCounter('cachekit.write_behind.flushed', { description: 'Write-behind writes (one per key of a batch) that reached their method.', unit: '{write}' });
  const loads = meter.createHistogram('cachekit.load.duration', {
    description: 'Duration of the loader (the decorated method run by a miss, a refresh or a batch), by outcome.',
    unit: 's',
    ...(options.loadDurationBuckets === undefined ? {} : { advice: { explicitBucketBoundaries: options.loadDurationBuckets } }),
  });

  const pending = meter.createObservableGauge('cachekit.write_behind.pending', { description: 'Write-behind writes held: queued, in flight or waiting to retry.', unit: '{write}' });
  const inFlight = meter.createObservableGauge('cachekit.write_behind.in_flight', { description: 'Write-behind writes whose method call is running or waiting for its retry.', unit: '{write}' });
  const oldest = meter.createObservableGauge('cachekit.write_behind.oldest_pending_age', { description: 'Age of the oldest write-behind write held (0 when none).', unit: 's' });
  const breaker = meter.createObservableGauge('cachekit.store.breaker.state', { description: "A Redis-backed store's circuit breaker: 1 for its current state (attribute cachekit.state), 0 for the others." });
  const tracked = meter.createObservableGauge('cachekit.store.versions_tracked', { description: 'Whether a RedisStore tracks namespace and tag versions in memory right now (1) or not (0).' });
  const entries = meter.createObservableGauge('cachekit.store.entries', { description: 'Entries a store holds in this process (memory stores, a tiered L1).', unit: '{entry}' });
  const observables = [pending, inFlight, oldest, breaker, tracked, entries];
  const observe: Parameters<typeof meter.addBatchObservableCallback>[0] = (result) => {
    const snapshot = runtime.inspect();
    for (const q of snapshot.writeBehind) {
      const attributes = attributesOf(q.method);
      result.observe(pending, q.pending, attributes);
      result.observe(inFlight, q.inFlight, attributes);
      result.observe(oldest, q.oldestPendingAgeMs / 1000, attributes);
    }
    for (const s of snapshot.stores) {
      const store = { 'cachekit.store': s.name };
      if (s.breaker !== undefined) for (const state of ['closed', 'open', 'half-open'] as const) result.observe(breaker, s.breaker === state ? 1 : 0, { ...store, 'cachekit.state': state });
      if (s.versionsTracked !== undefined) result.observe(tracked, s.versionsTracked ? 1 : 0, store);
      if (s.entries !== undefined) result.observe(entries, s.entries, store);
    }
  };
  meter.addBatchObservableCallback(observe, observables);

  const off = [
    runtime.on('hit', (e) => hits.add(1, attributesOf(e.method, e.store))),
    runtime.on('miss', (e) => misses.add(1, attributesOf(e.method, e.store))),
    runtime.on('stale', (e) => stale.add(1, attributesOf(e.method, e.store))),
    runtime.on('set', (e) => sets.add(1, attributesOf(e.method, e.store))),
    runtime.on('bypass', (e) => bypasses.add(1, attributesOf(e.method))),
    runtime.on('error', (e) => errors.add(1, attributesOf(e.method))),
    runtime.on('evict', (e) => evictions.add(1, { 'cachekit.store': e.store })),
    runtime.on('retry', (e) => retries.add(1, attributesOf(e.method))),
    runtime.on('deadLetter', (e) => deadLetters.add(1, attributesOf(e.method))),
    runtime.on('flush', (e) => {
      flushed.add(e.items, attributesOf(e.method));
      if (tracer === undefined) return;
      const span = tracer.startSpan('cachekit.flush', { kind: SpanKind.INTERNAL, attributes: { ...attributesOf(e.method), 'cachekit.items': e.items } }, context.active());
      span.end();
    }),
    runtime.on('load', (e) => {
      const attributes: Attributes = { 'cachekit.method': e.method, 'cachekit.namespace': e.namespace, 'cachekit.store': e.store, 'cachekit.outcome': e.outcome };
      loads.record(e.durationMs / 1000, attributes);
      if (tracer === undefined) return;
      // the event fires once the loader settled: the span runs from its start to now
      const end = Date.now();
      const span = tracer.startSpan('cachekit.load', { kind: SpanKind.INTERNAL, startTime: end - e.durationMs, attributes: { ...attributes, 'cachekit.keys': e.keys } }, context.active());
      if (e.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    }),
  ];
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const unsubscribe of off) unsubscribe();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
