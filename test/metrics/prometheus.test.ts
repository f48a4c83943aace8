/**
 * cachekit/prometheus: a known workload, then a scrape of `register.metrics()` with exact values;
 * labels are method, namespace, store (and outcome, state): never a key or a value.
 */
import { createServer, type AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Cacheable, WriteBehind, configureCache, ManualScheduler, MemoryStore, RedisStore, type CacheRuntime } from 'cachekit';
import { collectCacheMetrics } from 'cachekit/prometheus';
import { until } from '../helpers/waiting.js';

const url = process.env.REDIS_URL!;
let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** The sample lines of a scrape (no HELP/TYPE), those of `prefix` only. */
const samples = (text: string, prefix: string) => text.split('\n').filter((line) => line.startsWith(prefix));

describe('collectCacheMetrics', () => {
  it('counts a known workload, exactly, by method, namespace and store', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock, maxEntries: 2 }), scheduler: clock, prefix: `prom-${Math.random().toString(36).slice(2)}` });
    const register = new Registry();
    const stop = collectCacheMetrics(runtime, { register, loadDurationBuckets: [1_000_000] });
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
    await c.view('key-e');
    await c.view('key-f');
    await clock.advance(5_000);
    const text = await register.metrics();
    const m = 'method="Catalog.get",namespace="product",store="memory"';
    const p = 'method="Catalog.price",namespace="price",store="memory"';
    expect(samples(text, 'cachekit_hits_total')).toEqual([`cachekit_hits_total{${m}} 2`]);
    expect(samples(text, 'cachekit_misses_total')).toEqual([`cachekit_misses_total{${m}} 3`, `cachekit_misses_total{${p}} 1`]);
    // @WriteBehind writes its pending entries to the cache too
    const v = 'method="Catalog.view",namespace="views",store="memory"';
    expect(samples(text, 'cachekit_sets_total')).toEqual([`cachekit_sets_total{${m}} 2`, `cachekit_sets_total{${p}} 1`, `cachekit_sets_total{${v}} 2`]);
    expect(samples(text, 'cachekit_bypasses_total')).toEqual([`cachekit_bypasses_total{${p}} 1`]);
    expect(samples(text, 'cachekit_evictions_total')).toEqual(['cachekit_evictions_total{store="memory"} 3']); // 5 sets into 2 entries
    expect(runtime.stats()).toMatchObject({ hits: 2, misses: 4, sets: 5, evictions: 3, bypasses: 1 });
    expect(samples(text, 'cachekit_stale_total')).toEqual([]);
    expect(samples(text, 'cachekit_errors_total')).toEqual([]);
    expect(samples(text, 'cachekit_load_duration_seconds_count')).toEqual([
      `cachekit_load_duration_seconds_count{${m},outcome="ok"} 2`,
      `cachekit_load_duration_seconds_count{${m},outcome="error"} 1`,
      `cachekit_load_duration_seconds_count{${p},outcome="ok"} 1`,
    ]);
    // every load within the one bucket (1e6 s): exact counts, whatever the durations
    expect(samples(text, 'cachekit_load_duration_seconds_bucket').filter((line) => line.includes('le="1000000"'))).toEqual([
      `cachekit_load_duration_seconds_bucket{le="1000000",${m},outcome="ok"} 2`,
      `cachekit_load_duration_seconds_bucket{le="1000000",${m},outcome="error"} 1`,
      `cachekit_load_duration_seconds_bucket{le="1000000",${p},outcome="ok"} 1`,
    ]);
    expect(samples(text, 'cachekit_write_behind_flushed_items_total')).toEqual(['cachekit_write_behind_flushed_items_total{method="Catalog.view"} 2']);
    expect(samples(text, 'cachekit_write_behind_pending')).toEqual(['cachekit_write_behind_pending{method="Catalog.view"} 0']);
    expect(samples(text, 'cachekit_store_entries')).toEqual(['cachekit_store_entries{store="memory"} 2']);
    // every store operation the runtime called (the 6 reads of @Cacheable, answered synchronously by
    // the MemoryStore, are not timed): 3 populates; 2 @WriteBehind calls each read the versions and
    // wrote a pending entry, and their flush put each entry right (a compare-and-set)
    expect(samples(text, 'cachekit_store_operation_duration_seconds_count')).toEqual([
      'cachekit_store_operation_duration_seconds_count{store="memory",operation="writeIf",outcome="ok"} 5',
      'cachekit_store_operation_duration_seconds_count{store="memory",operation="readVersions",outcome="ok"} 2',
      'cachekit_store_operation_duration_seconds_count{store="memory",operation="write",outcome="ok"} 2',
    ]);
    // bounded labels: no key, no value anywhere in the scrape
    expect(text).not.toMatch(/key-|secret-value/);
    const labelNames = new Set([...text.matchAll(/[{,]([a-z_]+)="/g)].map((match) => match[1]));
    expect([...labelNames].sort()).toEqual(['le', 'method', 'namespace', 'operation', 'outcome', 'store']);

    stop();
    expect(register.getMetricsAsArray()).toEqual([]);
    fail = false;
    await c.get('key-a');
    expect((await register.metrics()).trim()).toBe('');
  });

  it('write-behind gauges: pending, in flight and the oldest write age on the runtime clock; retries and dead letters', async () => {
    const clock = new ManualScheduler({ now: 1_000_000 });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: `prom-${Math.random().toString(36).slice(2)}` });
    const register = new Registry();
    collectCacheMetrics(runtime, { register });
    const deadLetters: unknown[] = [];
    class Counter {
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 10, intervalMs: 1_000 }, retry: { attempts: 2, backoffMs: 1_000, onOutage: 'dead-letter' }, deadLetter: (item) => void deadLetters.push(item) })
      async view(_id: string): Promise<void> {
        throw new Error('down');
      }
    }
    const c = new Counter();
    await c.view('key-a');
    await clock.advance(500);
    let text = await register.metrics();
    expect(samples(text, 'cachekit_write_behind_pending')).toEqual(['cachekit_write_behind_pending{method="Counter.view"} 1']);
    expect(samples(text, 'cachekit_write_behind_in_flight')).toEqual(['cachekit_write_behind_in_flight{method="Counter.view"} 0']);
    expect(samples(text, 'cachekit_write_behind_oldest_pending_age_seconds')).toEqual(['cachekit_write_behind_oldest_pending_age_seconds{method="Counter.view"} 0.5']);
    await clock.runAll();
    text = await register.metrics();
    expect(deadLetters).toHaveLength(1);
    expect(samples(text, 'cachekit_write_behind_retries_total')).toEqual(['cachekit_write_behind_retries_total{method="Counter.view"} 1']);
    expect(samples(text, 'cachekit_write_behind_dead_letters_total')).toEqual(['cachekit_write_behind_dead_letters_total{method="Counter.view"} 1']);
    expect(samples(text, 'cachekit_write_behind_pending')).toEqual(['cachekit_write_behind_pending{method="Counter.view"} 0']);
    expect(text).not.toMatch(/key-/);
  });

  it('a runtime.cache() handle counts under its label, with one inspect() for its name, not one per event', async () => {
    runtime = configureCache({ prefix: `prom-${Math.random().toString(36).slice(2)}` });
    const register = new Registry();
    collectCacheMetrics(runtime, { register });
    const inspect = jest.spyOn(runtime, 'inspect');
    const sessions = runtime.cache<string>('session');
    for (let i = 0; i < 3; i++) await sessions.wrap('key-1', async () => 'secret-value');
    expect(inspect).toHaveBeenCalledTimes(1);
    const text = await register.metrics();
    expect(samples(text, 'cachekit_hits_total')).toEqual(['cachekit_hits_total{method="cache(session)",namespace="",store="memory"} 2']);
    expect(samples(text, 'cachekit_misses_total')).toEqual(['cachekit_misses_total{method="cache(session)",namespace="",store="memory"} 1']);
    expect(text).not.toMatch(/key-|secret-value/);
  });

  it("a RedisStore's breaker state and version tracking", async () => {
    const redis = new RedisStore({ connection: url, trackVersions: true });
    runtime = configureCache({ store: redis, prefix: `prom-${Math.random().toString(36).slice(2)}` });
    const register = new Registry();
    collectCacheMetrics(runtime, { register, prefix: 'app_cache_' });
    const text = await register.metrics();
    expect(samples(text, 'app_cache_store_breaker_state')).toEqual([
      'app_cache_store_breaker_state{store="redis",state="closed"} 1',
      'app_cache_store_breaker_state{store="redis",state="open"} 0',
      'app_cache_store_breaker_state{store="redis",state="half-open"} 0',
    ]);
    expect(samples(text, 'app_cache_store_versions_tracked')).toEqual([expect.stringMatching(/^app_cache_store_versions_tracked\{store="redis"\} [01]$/)]);
  });

  it('an open breaker (nothing listens where the RedisStore connects) and the errors the calls survived', async () => {
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const p = (server.address() as AddressInfo).port;
        server.close(() => resolve(p));
      });
    });
    const store = new RedisStore({ name: 'shared', connection: { port, host: '127.0.0.1', retryStrategy: () => 50 }, timeoutMs: 200, breaker: { failureThreshold: 2, cooldownMs: 3_600_000 } });
    runtime = configureCache({ store, prefix: `prom-${Math.random().toString(36).slice(2)}`, onError: () => undefined });
    const register = new Registry();
    collectCacheMetrics(runtime, { register });
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        return `secret-value-${id}`;
      }
    }
    const c = new Catalog();
    await until(() => store.client.status === 'reconnecting', 'the first connection attempt failed');
    for (const id of ['key-1', 'key-2', 'key-3']) expect(await c.get(id)).toBe(`secret-value-${id}`);
    const text = await register.metrics();
    expect(samples(text, 'cachekit_store_breaker_state')).toEqual([
      'cachekit_store_breaker_state{store="shared",state="closed"} 0',
      'cachekit_store_breaker_state{store="shared",state="open"} 1',
      'cachekit_store_breaker_state{store="shared",state="half-open"} 0',
    ]);
    // each read failed (two failures open the breaker, the third met it open) and fell back to the
    // method; the store's own connection errors, not tied to a method, count with empty labels
    expect(samples(text, 'cachekit_errors_total{method="Catalog.get"')).toEqual(['cachekit_errors_total{method="Catalog.get",namespace="product",store="shared"} 3']);
    expect(runtime.stats().methods['Catalog.get']!.errors).toBe(3);
    expect(text).not.toMatch(/key-|secret-value/);
    await runtime.close();
    runtime = undefined;
  });
});
