/**
 * The breaker-state gauge (`cachekit.store.breaker.state`, `cachekit_store_breaker_state`) through
 * a real RedisStore's circuit breaker against a private redis-server that is stopped (SIGSTOP)
 * and resumed: closed, open, half-open (the probe in flight) and closed again, read exactly in
 * OpenTelemetry and in Prometheus at each step. The breaker's cooldown runs on a ManualScheduler;
 * the only real waits are the store's own deadlines. The store operations' outcomes (ok, timeout,
 * error) are counted exactly on the way.
 */
import { Registry } from 'prom-client';
import { Cacheable, configureCache, ManualScheduler, RedisStore, type CacheRuntime } from 'cachekit';
import { collectCacheMetrics } from 'cachekit/prometheus';
import { instrumentCache } from 'cachekit/opentelemetry';
import { OtelHarness, points } from './otel-harness.js';
import { startServer, type TestRedisServer } from '../e2e/fixtures/redis-servers.js';

let server: TestRedisServer | undefined;
let runtime: CacheRuntime | undefined;
let otel: OtelHarness;
beforeEach(() => {
  otel = new OtelHarness();
});
afterEach(async () => {
  server?.resume();
  await runtime?.close();
  runtime = undefined;
  server?.kill();
  server = undefined;
  await otel.shutdown();
});

describe('the breaker-state gauge', () => {
  it('reads closed, open, half-open and closed again, exactly, in OpenTelemetry and Prometheus', async () => {
    server = startServer();
    const clock = new ManualScheduler({ now: 1_000_000 });
    const store = new RedisStore({
      name: 'shared',
      connection: { host: '127.0.0.1', port: server.port },
      timeoutMs: 1_000,
      breaker: { failureThreshold: 2, cooldownMs: 5_000, clock },
    });
    const recovered: string[] = [];
    const logger = { warn: () => undefined, info: (line: string) => void recovered.push(line) };
    runtime = configureCache({ store, prefix: `breaker-${Math.random().toString(36).slice(2)}`, onError: () => undefined, logger });
    const register = new Registry();
    collectCacheMetrics(runtime, { register });
    instrumentCache(runtime, { meterProvider: otel.meterProvider, spans: false });
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        return `value-${id}`;
      }
    }
    const c = new Catalog();

    /** The gauge as Prometheus scrapes it and as OpenTelemetry collects it: the state whose value is 1, and the three values. */
    const gauge = async () => {
      const text = await register.metrics();
      const prometheus = text.split('\n').filter((line) => line.startsWith('cachekit_store_breaker_state{'));
      const otelPoints = points(await otel.collect(), 'cachekit.store.breaker.state');
      return { prometheus, otel: otelPoints.map(([a, v]) => `${String(a['cachekit.store'])} ${String(a['cachekit.state'])} ${v}`) };
    };
    const expected = (state: 'closed' | 'open' | 'half-open') => ({
      prometheus: (['closed', 'open', 'half-open'] as const).map((s) => `cachekit_store_breaker_state{store="shared",state="${s}"} ${s === state ? 1 : 0}`),
      otel: (['closed', 'open', 'half-open'] as const).map((s) => `shared ${s} ${s === state ? 1 : 0}`),
    });

    expect(await c.get('key-1')).toBe('value-key-1');
    expect(await gauge()).toEqual(expected('closed'));

    server.pause();
    // two reads pass their deadline (the method answers each): the breaker opens
    expect(await Promise.all([c.get('key-2'), c.get('key-3')])).toEqual(['value-key-2', 'value-key-3']);
    expect(store.circuit).toBe('open');
    expect(await gauge()).toEqual(expected('open'));
    expect(await c.get('key-4')).toBe('value-key-4'); // failed fast: the breaker is open
    expect(await gauge()).toEqual(expected('open'));

    // the cooldown passes: the next read is the probe, in flight while Redis is still stopped
    await clock.advance(5_000);
    const probe = c.get('key-5');
    expect(store.circuit).toBe('half-open');
    expect(await gauge()).toEqual(expected('half-open'));

    server.resume();
    expect(await probe).toBe('value-key-5'); // Redis answered the probe: the breaker closed
    expect(store.circuit).toBe('closed');
    expect(await gauge()).toEqual(expected('closed'));
    expect(recovered).toEqual([expect.stringMatching(/^cachekit: circuit breaker closed after \d+\.\d s \(store 'shared'\)$/)]);

    // the store operations on the way, by outcome: the two reads that passed their deadline, the
    // one the open breaker refused, the probe, and the two populates of the reads that got through
    const text = await register.metrics();
    expect(text.split('\n').filter((line) => line.startsWith('cachekit_store_operation_duration_seconds_count'))).toEqual([
      'cachekit_store_operation_duration_seconds_count{store="shared",operation="read",outcome="ok"} 2',
      'cachekit_store_operation_duration_seconds_count{store="shared",operation="writeIf",outcome="ok"} 2',
      'cachekit_store_operation_duration_seconds_count{store="shared",operation="read",outcome="timeout"} 2',
      'cachekit_store_operation_duration_seconds_count{store="shared",operation="read",outcome="error"} 1',
    ]);
    const recorded = points(await otel.collect(), 'cachekit.store.operation.duration');
    expect(recorded.map(([a, count]) => `${String(a['cachekit.operation'])} ${String(a['cachekit.outcome'])} ${count}`)).toEqual(['read ok 2', 'writeIf ok 2', 'read timeout 2', 'read error 1']);
  });
});
