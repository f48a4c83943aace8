/**
 * The store operation histogram (`cachekit.store.operation.duration`,
 * `cachekit_store_operation_duration_seconds`): a known workload against a real Redis and a
 * MemoryStore, then the exact count of each (store, operation, outcome), in OpenTelemetry and in
 * Prometheus at once; the durations are not checked (no timing assertions), their attribute sets
 * are, and no key or value appears.
 */
import { Registry } from 'prom-client';
import { Cacheable, CacheableMany, Invalidate, configureCache, MemoryStore, RedisStore, type CacheRuntime } from 'cachekit';
import { collectCacheMetrics } from 'cachekit/prometheus';
import { instrumentCache } from 'cachekit/opentelemetry';
import { OtelHarness, points } from './otel-harness.js';

const url = process.env.REDIS_URL!;
let runtime: CacheRuntime | undefined;
let otel: OtelHarness;
beforeEach(() => {
  otel = new OtelHarness();
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  await otel.shutdown();
});

describe('store operation durations', () => {
  it('count each operation the runtime called, by store, operation and outcome, exactly (Redis and memory)', async () => {
    runtime = configureCache({
      store: new RedisStore({ connection: url }),
      stores: { local: new MemoryStore({ name: 'local' }) },
      prefix: `ops-${Math.random().toString(36).slice(2)}`,
    });
    const register = new Registry();
    collectCacheMetrics(runtime, { register, storeOperationBuckets: [1_000_000] });
    instrumentCache(runtime, { meterProvider: otel.meterProvider, spans: false });
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        return `secret-value-${id}`;
      }
      @CacheableMany({ namespace: 'product', key: (id: string) => id })
      async many(ids: string[]): Promise<string[]> {
        return ids.map((id) => `secret-value-${id}`);
      }
      @Cacheable({ namespace: 'locked', key: (id: string) => id, distributedLock: true })
      async locked(id: string): Promise<string> {
        return `secret-value-${id}`;
      }
      @Invalidate({ namespace: 'product', key: (id: string) => id })
      async update(_id: string): Promise<void> {}
      @Invalidate({ namespace: 'product', allEntries: true })
      async reset(): Promise<void> {}
      @Cacheable({ store: 'local', namespace: 'price', key: (id: string) => id })
      async price(id: string): Promise<number> {
        return id.length;
      }
      @Invalidate({ store: 'local', namespace: 'price', allEntries: true })
      async clearPrices(): Promise<void> {}
    }
    const c = new Catalog();
    await c.get('key-1'); // redis: read (a miss), writeIf (its populate)
    await c.get('key-1'); // redis: read (a hit)
    await c.many(['key-1', 'key-2']); // redis: readMany (key-1 hits), writeIf (key-2's populate)
    await c.update('key-1'); // redis: writeTombstone
    await c.reset(); // redis: bump
    await c.locked('key-3'); // redis: read (a miss), acquireLock, read (the holder's read before it loads), writeIf; releaseLock (not awaited)
    const sessions = runtime.cache<string>('session');
    await sessions.set('key-4', 'secret-value'); // redis: readVersions, write
    // the lock's release went to Redis before this read, on the same connection: its reply came first
    expect(await sessions.get('key-4')).toBe('secret-value'); // redis: read
    await c.price('key-5'); // local: a synchronous read (not timed: no I/O), a miss; writeIf
    await c.price('key-5'); // local: a synchronous read, a hit
    await c.clearPrices(); // local: bump

    const expected: Array<[string, string, number]> = [
      ['redis', 'read', 5],
      ['redis', 'writeIf', 3],
      ['redis', 'readMany', 1],
      ['redis', 'writeTombstone', 1],
      ['redis', 'bump', 1],
      ['redis', 'acquireLock', 1],
      ['redis', 'releaseLock', 1],
      ['redis', 'readVersions', 1],
      ['redis', 'write', 1],
      ['local', 'writeIf', 1],
      ['local', 'bump', 1],
    ];
    const sorted = <T extends [string, string, number]>(rows: T[]) => [...rows].sort((a, b) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`));

    const text = await register.metrics();
    const scraped = [...text.matchAll(/^cachekit_store_operation_duration_seconds_count\{store="([^"]+)",operation="([^"]+)",outcome="ok"\} (\d+)$/gm)];
    expect(sorted(scraped.map((m) => [m[1]!, m[2]!, Number(m[3])] as [string, string, number]))).toEqual(sorted(expected));
    // every count line is an `ok` one (the regular expression above reads only those)
    expect(text.match(/^cachekit_store_operation_duration_seconds_count/gm)).toHaveLength(expected.length);
    // one bucket (1e6 s) holds every operation: its count, whatever the durations
    expect(text.match(/^cachekit_store_operation_duration_seconds_bucket\{le="1000000",store="redis",operation="read",outcome="ok"\} 5$/m)).not.toBeNull();

    const metrics = await otel.collect();
    const recorded = points(metrics, 'cachekit.store.operation.duration');
    expect(recorded.map(([attributes]) => Object.keys(attributes).sort())).toEqual(expected.map(() => ['cachekit.operation', 'cachekit.outcome', 'cachekit.store']));
    expect(sorted(recorded.map(([a, count]) => [String(a['cachekit.store']), String(a['cachekit.operation']), count] as [string, string, number]))).toEqual(sorted(expected));
    expect(recorded.every(([a]) => a['cachekit.outcome'] === 'ok')).toBe(true);
    expect(metrics.get('cachekit.store.operation.duration')!.descriptor.unit).toBe('s');
    expect(JSON.stringify(recorded) + text).not.toMatch(/key-|secret-value/);
  });

  it('are announced only while a listener is attached (the store event follows on and off)', async () => {
    runtime = configureCache({ store: new RedisStore({ connection: url }), prefix: `ops-${Math.random().toString(36).slice(2)}` });
    const seen: string[] = [];
    const register = new Registry();
    const stop = collectCacheMetrics(runtime, { register });
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        return `value-${id}`;
      }
    }
    const c = new Catalog();
    expect(await c.get('a')).toBe('value-a');
    stop();
    expect(runtime.events.has('store')).toBe(false);
    const off = runtime.on('store', (e) => seen.push(`${e.store} ${e.operation} ${e.outcome}`));
    expect(await c.get('a')).toBe('value-a'); // a hit: one read
    expect(await c.get('b')).toBe('value-b'); // a miss: a read and a populate
    off();
    expect(await c.get('c')).toBe('value-c');
    expect(await c.get('a')).toBe('value-a');
    expect(seen).toEqual(['redis read ok', 'redis read ok', 'redis writeIf ok']);
  });
});
