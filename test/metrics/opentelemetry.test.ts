/**
 * cachekit/opentelemetry: a known workload, then the SDK's in-memory exporters: exact counter
 * values, histogram counts, gauges, attribute sets (never a key or a value); loader spans as
 * children of the caller's span (a background reload: a root span linked to it), flush spans
 * linked to the span of each call whose write they carry.
 */
import { context, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { Cacheable, WriteBehind, configureCache, ManualScheduler, MemoryStore, RedisStore, type CacheRuntime } from 'cachekit';
import { instrumentCache } from 'cachekit/opentelemetry';
import { OtelHarness, points } from './otel-harness.js';

const url = process.env.REDIS_URL!;
let runtime: CacheRuntime | undefined;
let otel: OtelHarness;
let meterProvider: OtelHarness['meterProvider'];
let tracerProvider: OtelHarness['tracerProvider'];
let spanExporter: OtelHarness['spanExporter'];
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  otel = new OtelHarness();
  ({ meterProvider, tracerProvider, spanExporter } = otel);
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await otel.shutdown();
});

/** The metrics of the latest export, by name. */
const collect = (): Promise<Map<string, MetricData>> => otel.collect();

describe('instrumentCache', () => {
  it('counters, the loader histogram and gauges after a known workload, exactly; attributes never carry a key or a value', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock, maxEntries: 2 }), scheduler: clock, prefix: `otel-${Math.random().toString(36).slice(2)}` });
    const stop = instrumentCache(runtime, { meterProvider, tracerProvider });
    let fail = false;
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        if (fail) throw new Error('down');
        return `secret-value-${id}`;
      }
      @Cacheable({ namespace: 'price', key: (id: string) => id, condition: (id: string) => id !== 'key-skip' })
      async price(id: string): Promise<number> {
        return id.length;
      }
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 10, intervalMs: 1_000 } })
      async view(_id: string): Promise<void> {}
    }
    const c = new Catalog();
    await c.get('key-a'); // miss, load ok, set
    await c.get('key-a'); // hit
    await c.get('key-a'); // hit
    await c.get('key-b'); // miss, load ok, set
    fail = true;
    await expect(c.get('key-c')).rejects.toThrow('down'); // miss, load error
    await c.price('key-d'); // miss, load ok, set
    await c.price('key-skip'); // bypass
    await c.view('key-e'); // a pending entry: set
    await c.view('key-f'); // a pending entry: set
    await c.view('key-g'); // a pending entry: set
    await clock.advance(500);
    const held = await collect();
    const get = { 'cachekit.method': 'Catalog.get', 'cachekit.namespace': 'product', 'cachekit.store': 'memory' };
    const price = { 'cachekit.method': 'Catalog.price', 'cachekit.namespace': 'price', 'cachekit.store': 'memory' };
    const view = { 'cachekit.method': 'Catalog.view', 'cachekit.namespace': 'views', 'cachekit.store': 'memory' };
    expect(points(held, 'cachekit.write_behind.pending')).toEqual([[view, 3]]);
    expect(points(held, 'cachekit.write_behind.in_flight')).toEqual([[view, 0]]);
    expect(points(held, 'cachekit.write_behind.oldest_pending_age')).toEqual([[view, 0.5]]);
    await clock.advance(5_000);

    const m = await collect();
    expect(points(m, 'cachekit.hits')).toEqual([[get, 2]]);
    expect(points(m, 'cachekit.misses')).toEqual([
      [get, 3],
      [price, 1],
    ]);
    expect(points(m, 'cachekit.sets')).toEqual([
      [get, 2],
      [price, 1],
      [view, 3],
    ]);
    expect(points(m, 'cachekit.bypasses')).toEqual([[price, 1]]);
    // 6 sets into 2 entries, then the flush releases the 3 pending entries (each a tombstone: see below)
    expect(points(m, 'cachekit.evictions')).toEqual([[{ 'cachekit.store': 'memory' }, 7]]);
    expect(points(m, 'cachekit.write_behind.flushed')).toEqual([[view, 3]]);
    expect(points(m, 'cachekit.stale')).toEqual([]);
    expect(points(m, 'cachekit.errors')).toEqual([]);
    expect(points(m, 'cachekit.load.duration')).toEqual([
      [{ ...get, 'cachekit.outcome': 'ok' }, 2],
      [{ ...get, 'cachekit.outcome': 'error' }, 1],
      [{ ...price, 'cachekit.outcome': 'ok' }, 1],
    ]);
    expect(m.get('cachekit.load.duration')!.descriptor.unit).toBe('s');
    // default boundaries in seconds (5 ms to 10 s), not the SDK's millisecond-sized ones
    const loadPoint = m.get('cachekit.load.duration')!.dataPoints[0]!.value as { buckets: { boundaries: number[] } };
    expect(loadPoint.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    expect(points(m, 'cachekit.write_behind.pending')).toEqual([[view, 0]]);
    expect(points(m, 'cachekit.store.entries')).toEqual([[{ 'cachekit.store': 'memory' }, 2]]);
    expect(runtime.stats()).toMatchObject({ hits: 2, misses: 4, sets: 6, evictions: 7, bypasses: 1 });
    // every store operation the runtime called, by store, operation and outcome (the 6 reads of
    // @Cacheable, answered synchronously by the MemoryStore, are not timed): 3 populates; 3
    // @WriteBehind calls each read the versions and wrote a pending entry; their flush tried to turn
    // each into a settled entry (a compare-and-set, which found it evicted: 2 entries of room) and
    // wrote a tombstone instead
    const memory = (operation: string) => ({ 'cachekit.store': 'memory', 'cachekit.operation': operation, 'cachekit.outcome': 'ok' });
    expect(points(m, 'cachekit.store.operation.duration')).toEqual([
      [memory('writeIf'), 6],
      [memory('readVersions'), 3],
      [memory('write'), 3],
      [memory('writeTombstone'), 3],
    ]);
    expect(m.get('cachekit.store.operation.duration')!.descriptor.unit).toBe('s');

    // bounded attributes: these names only, and no key or value among them
    const attributes = [...m.values()].flatMap((metric) => (metric.dataPoints as Array<{ attributes: Attributes }>).map((p) => p.attributes));
    expect([...new Set(attributes.flatMap((a) => Object.keys(a)))].sort()).toEqual(['cachekit.method', 'cachekit.namespace', 'cachekit.operation', 'cachekit.outcome', 'cachekit.store']);
    expect(JSON.stringify(attributes)).not.toMatch(/key-|secret-value/);

    stop();
    fail = false;
    await c.get('key-a');
    const inspect = jest.spyOn(runtime, 'inspect');
    const after = await collect();
    expect(points(after, 'cachekit.misses')).toEqual(points(m, 'cachekit.misses'));
    expect(inspect).not.toHaveBeenCalled(); // the gauges' callback is gone
  });

  it('spans: a loader is a child of the caller span, from its start to its end; a failed one has status error; a flush is recorded', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: `otel-${Math.random().toString(36).slice(2)}` });
    instrumentCache(runtime, { meterProvider, tracerProvider });
    const tracer = tracerProvider.getTracer('app');
    const durations: number[] = [];
    runtime.on('load', (e) => durations.push(e.durationMs));
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        if (id === 'key-bad') throw new Error('down');
        return `secret-value-${id}`;
      }
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 10, intervalMs: 1_000 } })
      async view(_id: string): Promise<void> {}
    }
    const c = new Catalog();
    const request = tracer.startSpan('request');
    await context.with(trace.setSpan(context.active(), request), async () => {
      await c.get('key-a');
      await c.get('key-a'); // a hit: no span
      await expect(c.get('key-bad')).rejects.toThrow('down');
    });
    request.end();
    await c.view('key-v');
    await clock.advance(1_000);
    const spans = spanExporter.getFinishedSpans();
    const loads = spans.filter((s) => s.name === 'cachekit.load');
    expect(loads.map((s) => [s.attributes, s.status.code, s.parentSpanContext?.spanId, s.spanContext().traceId])).toEqual([
      [{ 'cachekit.method': 'Catalog.get', 'cachekit.namespace': 'product', 'cachekit.store': 'memory', 'cachekit.outcome': 'ok', 'cachekit.keys': 1 }, 0, request.spanContext().spanId, request.spanContext().traceId],
      [{ 'cachekit.method': 'Catalog.get', 'cachekit.namespace': 'product', 'cachekit.store': 'memory', 'cachekit.outcome': 'error', 'cachekit.keys': 1 }, 2, request.spanContext().spanId, request.spanContext().traceId],
    ]);
    // each span lasts what its loader took (the event's duration), ending when it settled
    expect(loads.map((s) => s.duration[0] * 1e3 + s.duration[1] / 1e6)).toEqual([expect.closeTo(durations[0]!, 3), expect.closeTo(durations[1]!, 3)]);
    const flushes = spans.filter((s) => s.name === 'cachekit.flush');
    expect(flushes.map((s) => s.attributes)).toEqual([{ 'cachekit.method': 'Catalog.view', 'cachekit.namespace': 'views', 'cachekit.store': 'memory', 'cachekit.items': 1 }]);
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toMatch(/key-|secret-value/);
  });

  it('a flush span lasts the batch, is a root span, and links to the span of each call whose write it carries (each once)', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: `otel-${Math.random().toString(36).slice(2)}` });
    instrumentCache(runtime, { meterProvider, tracerProvider });
    const tracer = tracerProvider.getTracer('app');
    let call: { from: number; to: number } | undefined;
    class Counter {
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 10, intervalMs: 1_000 }, batchWith: 'viewAll' })
      async view(_id: string, _n: number): Promise<void> {}
      async viewAll(_calls: Array<[string, number]>): Promise<void> {
        const from = performance.now();
        await new Promise((resolve) => setImmediate(resolve));
        call = { from, to: performance.now() };
      }
    }
    const c = new Counter();
    const first = tracer.startSpan('first request');
    const second = tracer.startSpan('second request');
    await context.with(trace.setSpan(context.active(), first), () => c.view('key-a', 1));
    await context.with(trace.setSpan(context.active(), second), async () => {
      await c.view('key-b', 1);
      await c.view('key-a', 2); // coalesced with the first request's write of key-a
    });
    await c.view('key-c', 1); // no span active: nothing to link
    first.end();
    second.end();
    const flushed = new Promise<{ durationMs: number; origins: readonly unknown[] }>((resolve) => runtime!.on('flush', resolve));
    await clock.advance(1_000);
    const event = await flushed;
    const [flush, ...others] = spanExporter.getFinishedSpans().filter((s) => s.name === 'cachekit.flush');
    expect(others).toEqual([]);
    expect(flush!.attributes).toEqual({ 'cachekit.method': 'Counter.view', 'cachekit.namespace': 'views', 'cachekit.store': 'memory', 'cachekit.items': 3 });
    expect(flush!.parentSpanContext).toBeUndefined();
    // one link per caller span, in the order the batch holds the writes (key-a, key-b, key-c)
    expect(flush!.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [first.spanContext().traceId, first.spanContext().spanId],
      [second.spanContext().traceId, second.spanContext().spanId],
    ]);
    expect(event.origins).toHaveLength(3); // key-a's two calls and key-b's; key-c's call had no span
    // the span runs from when the flusher took the batch up to its end (the event's duration),
    // which holds the batch method's call (measured on the same monotonic clock)
    expect(flush!.duration[0] * 1e3 + flush!.duration[1] / 1e6).toBeCloseTo(event.durationMs, 3);
    expect(event.durationMs).toBeGreaterThanOrEqual(call!.to - call!.from);
  });

  it('a flush span links to the first 32 calls of its batch', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: `otel-${Math.random().toString(36).slice(2)}` });
    instrumentCache(runtime, { meterProvider, tracerProvider });
    const tracer = tracerProvider.getTracer('app');
    class Counter {
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 50, intervalMs: 1_000 }, batchWith: 'viewAll' })
      async view(_id: string): Promise<void> {}
      async viewAll(_calls: Array<[string]>): Promise<void> {}
    }
    const c = new Counter();
    const callers = [];
    for (let i = 0; i < 40; i++) {
      const span = tracer.startSpan(`request ${i}`);
      callers.push(span.spanContext().spanId);
      await context.with(trace.setSpan(context.active(), span), () => c.view(`key-${i}`));
      span.end();
    }
    await clock.advance(1_000);
    const flushes = spanExporter.getFinishedSpans().filter((s) => s.name === 'cachekit.flush');
    expect(flushes.map((s) => s.attributes['cachekit.items'])).toEqual([40]);
    expect(flushes[0]!.links.map((l) => l.context.spanId)).toEqual(callers.slice(0, 32));
  });

  it('a refresh-ahead reload, which no caller waits for, is a root span linked to the span of the call whose hit started it', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: `otel-${Math.random().toString(36).slice(2)}` });
    instrumentCache(runtime, { meterProvider, tracerProvider });
    const tracer = tracerProvider.getTracer('app');
    let version = 0;
    class Prices {
      @Cacheable({ namespace: 'price', key: (id: string) => id, ttl: '10s', refreshAhead: 0.8 })
      async get(_id: string): Promise<number> {
        return ++version;
      }
    }
    const p = new Prices();
    const first = tracer.startSpan('first request');
    await context.with(trace.setSpan(context.active(), first), () => p.get('key-a')); // a miss: a child span
    first.end();
    await clock.advance(8_000);
    const reloaded = new Promise<void>((resolve) => runtime!.on('load', () => resolve()));
    const later = tracer.startSpan('later request');
    await context.with(trace.setSpan(context.active(), later), async () => {
      expect(await p.get('key-a')).toBe(1); // a hit past 80% of the TTL: served, and reloaded in the background
    });
    later.end();
    await reloaded;
    const loads = spanExporter.getFinishedSpans().filter((s) => s.name === 'cachekit.load');
    expect(loads.map((s) => [s.attributes['cachekit.background'], s.parentSpanContext?.spanId, s.links.map((l) => l.context.spanId)])).toEqual([
      [undefined, first.spanContext().spanId, []],
      [true, undefined, [later.spanContext().spanId]],
    ]);
    expect(loads[1]!.spanContext().traceId).not.toBe(later.spanContext().traceId); // a trace of its own
    expect(version).toBe(2);
  });

  it("a RedisStore's breaker state and version tracking as gauges", async () => {
    runtime = configureCache({ store: new RedisStore({ connection: url, trackVersions: true }), prefix: `otel-${Math.random().toString(36).slice(2)}` });
    instrumentCache(runtime, { meterProvider, spans: false });
    const m = await collect();
    expect(points(m, 'cachekit.store.breaker.state')).toEqual([
      [{ 'cachekit.store': 'redis', 'cachekit.state': 'closed' }, 1],
      [{ 'cachekit.store': 'redis', 'cachekit.state': 'open' }, 0],
      [{ 'cachekit.store': 'redis', 'cachekit.state': 'half-open' }, 0],
    ]);
    expect(points(m, 'cachekit.store.versions_tracked')).toEqual([[{ 'cachekit.store': 'redis' }, expect.any(Number)]]);
  });
});
