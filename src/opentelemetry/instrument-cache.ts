import { context, isSpanContextValid, metrics, trace, SpanKind, SpanStatusCode, type Attributes, type Link, type MeterProvider, type SpanContext, type TracerProvider } from '@opentelemetry/api';
import type { CacheRuntime } from 'cachekit';

/** Options of {@link instrumentCache}. */
export interface OpenTelemetryOptions {
  /** Where the metrics go. @default the global MeterProvider (`metrics.getMeterProvider()`) */
  meterProvider?: MeterProvider;
  /** Where the spans go. @default the global TracerProvider (`trace.getTracerProvider()`) */
  tracerProvider?: TracerProvider;
  /**
   * Bucket boundaries (advice) of `cachekit.load.duration`, in seconds (the SDK's own defaults
   * are meant for milliseconds and would put every load in the first bucket).
   * @default 5 ms to 10 s, as prom-client's: `[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]`
   */
  loadDurationBuckets?: number[];
  /**
   * Bucket boundaries (advice) of `cachekit.store.operation.duration`, in seconds.
   * @default 0.1 ms to 2.5 s: `[0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]`
   */
  storeOperationBuckets?: number[];
  /** Whether to record spans for loaders and write-behind flushes. @default true */
  spans?: boolean;
}

/** Unsubscribes from the runtime's events and removes the gauges' callback. */
export type StopInstrumentation = () => void;

/** The name (and version) of cachekit's meter and tracer. */
const SCOPE = 'cachekit';

/** Default buckets of the loader duration histogram, in seconds (prom-client's defaults, so both exporters agree). */
const LOAD_DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Default buckets of the store operation histogram, in seconds: a memory read takes microseconds, a Redis round trip a fraction of a millisecond. */
const STORE_OPERATION_BUCKETS: readonly number[] = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The links to the span contexts among `origins` (what the runtime captured), one per span; invalid or foreign values are skipped. */
function linksTo(origins: readonly unknown[]): Link[] {
  const links: Link[] = [];
  const seen = new Set<string>();
  for (const origin of origins) {
    if (!isSpanContext(origin)) continue;
    const id = `${origin.traceId}/${origin.spanId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    links.push({ context: origin });
  }
  return links;
}

function isSpanContext(value: unknown): value is SpanContext {
  return typeof value === 'object' && value !== null && typeof (value as SpanContext).traceId === 'string' && isSpanContextValid(value as SpanContext);
}

/**
 * Instruments `runtime` with OpenTelemetry: counters (`cachekit.hits`, `cachekit.misses`,
 * `cachekit.stale`, `cachekit.sets`, `cachekit.evictions`, `cachekit.errors`,
 * `cachekit.bypasses`, `cachekit.write_behind.retries`, `cachekit.write_behind.dead_letters`,
 * `cachekit.write_behind.flushed`), the histograms `cachekit.load.duration` and
 * `cachekit.store.operation.duration` (seconds), and observable gauges
 * (`cachekit.write_behind.pending`, `.in_flight`, `.oldest_pending_age`,
 * `cachekit.store.breaker.state`, `cachekit.store.versions_tracked`, `cachekit.store.entries`).
 * The list is in docs/observability.md#metrics.
 *
 * Counters count events from this call on (`runtime.resetStats()` does not reset them); gauges
 * read `runtime.inspect()` once per collection. Attributes: `cachekit.method`,
 * `cachekit.namespace`, `cachekit.store`, `cachekit.outcome`, a store operation's
 * `cachekit.operation` (and a breaker's `cachekit.state`): never a key or a value.
 *
 * Spans (docs/observability.md#spans):
 * - `cachekit.load` for each loader run by a miss, a `runtime.refresh()` or a batch, from its
 *   start to its end, a child of the caller's span (the span active where the loader was
 *   started; needs a context manager that follows async calls, such as the SDK's
 *   AsyncLocalStorage one). A refresh-ahead reload, which no caller waits for, is a root span
 *   linked to the span of the call whose hit started it.
 * - `cachekit.flush` for each write-behind batch that reached its method, from when the flusher
 *   took it up to its end: a root span with a link to the span active when each write of the
 *   batch was accepted (the first 32 writes of a batch; captured only while spans are on).
 *
 * @returns a function that stops the instrumentation
 */
export function instrumentCache(runtime: CacheRuntime, options: OpenTelemetryOptions = {}): StopInstrumentation {
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(SCOPE);
  const tracer = options.spans === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  // each write-behind call keeps the span context active when it was accepted, for the flush span's links
  const stopCapture = tracer === undefined ? undefined : runtime.captureOrigins(() => trace.getSpanContext(context.active()));

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
    advice: { explicitBucketBoundaries: [...(options.loadDurationBuckets ?? LOAD_DURATION_BUCKETS)] },
  });
  const storeOperations = meter.createHistogram('cachekit.store.operation.duration', {
    description: 'Duration of a store operation the runtime called (read, readMany, readVersions, write, writeIf, writeTombstone, bump, ...; a synchronous in-process read is not timed), by store, operation and outcome (ok, error, timeout).',
    unit: 's',
    advice: { explicitBucketBoundaries: [...(options.storeOperationBuckets ?? STORE_OPERATION_BUCKETS)] },
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
      const attributes = attributesOf(e.method);
      flushed.add(e.items, attributes);
      if (tracer === undefined) return;
      // the event fires once the batch is done: the span runs from when the flusher took it up to
      // now. A root span: the flusher's own context is no caller's; the callers are its links.
      const end = Date.now();
      const span = tracer.startSpan('cachekit.flush', { kind: SpanKind.INTERNAL, root: true, startTime: end - e.durationMs, links: linksTo(e.origins), attributes: { ...attributes, 'cachekit.items': e.items } });
      span.end(end);
    }),
    runtime.on('load', (e) => {
      const attributes: Attributes = { 'cachekit.method': e.method, 'cachekit.namespace': e.namespace, 'cachekit.store': e.store, 'cachekit.outcome': e.outcome };
      loads.record(e.durationMs / 1000, attributes);
      if (tracer === undefined) return;
      // the event fires once the loader settled, in the context where it was started (the
      // caller's): the span runs from its start to now, a child of the caller's span; a
      // background reload (refresh-ahead) is a root span linked to it instead
      const end = Date.now();
      const active = context.active();
      const spanAttributes = { ...attributes, 'cachekit.keys': e.keys };
      const span = e.background
        ? tracer.startSpan('cachekit.load', { kind: SpanKind.INTERNAL, root: true, startTime: end - e.durationMs, links: linksTo([trace.getSpanContext(active)]), attributes: { ...spanAttributes, 'cachekit.background': true } })
        : tracer.startSpan('cachekit.load', { kind: SpanKind.INTERNAL, startTime: end - e.durationMs, attributes: spanAttributes }, active);
      if (e.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end(end);
    }),
    runtime.on('store', (e) => storeOperations.record(e.durationMs / 1000, { 'cachekit.store': e.store, 'cachekit.operation': e.operation, 'cachekit.outcome': e.outcome })),
  ];
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const unsubscribe of off) unsubscribe();
    stopCapture?.();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
