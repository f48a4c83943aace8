import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatHeader, formatReport } from '../../samples/ecommerce/report.js';
import { runDemo, type DemoResult } from '../../samples/ecommerce/run-demo.js';
import { generateWorkload } from '../../samples/ecommerce/workload.js';

const SMALL = { requests: 800, products: 60, users: 25, seed: 7, latencyMs: 0, thinkMs: 0 } as const;

describe('samples/ecommerce: the demo shop', () => {
  let outDir: string;
  beforeAll(() => {
    outDir = mkdtempSync(join(tmpdir(), 'cachekit-demo-test-'));
  });
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  describe('one client (every number is deterministic)', () => {
    let result: DemoResult;
    const workload = generateWorkload({ ...SMALL, zipf: 1 });
    const count = (kind: string) => workload.requests.filter((r) => r.kind === kind).length;
    const distinct = (kind: string, id: (r: any) => number) => new Set(workload.requests.filter((r) => r.kind === kind).map(id)).size;

    beforeAll(async () => {
      result = await runDemo({ ...SMALL, clients: 1, outDir });
    });

    test('runs on a MemoryStore when no Redis URL is given, and passes every check', () => {
      expect(result.tiered).toBe(false);
      expect(result.store).toMatch(/^MemoryStore, in process/);
      expect(result.checks.ok).toBe(true);
      expect(result.files).toEqual({ withCache: join(outDir, 'shop-cache.db'), withoutCache: join(outDir, 'shop-no-cache.db') });
    });

    test('cache-aside: each product is read from the database once, every other read is a hit', () => {
      const reads = count('browse');
      const misses = distinct('browse', (r) => r.productId);
      expect(result.patterns.catalog).toMatchObject({
        reads,
        writes: 0,
        hits: reads - misses,
        misses,
        dbQueries: { withCache: misses, withoutCache: reads },
      });
      expect(result.patterns.catalog.hits).toBeGreaterThan(0);
      expect(result.patterns.catalog.dbQueries.withCache).toBeLessThan(result.patterns.catalog.dbQueries.withoutCache);
      expect(result.patterns.catalog.readLatency.hit.count).toBe(reads - misses);
      expect(result.patterns.catalog.readLatency.miss.count).toBe(misses);
    });

    test('write-through: every saved user reads their settings from the cache, equal to the database', () => {
      const saved = distinct('saveSettings', (r) => r.settings.userId);
      expect(result.checks).toMatchObject({ settingsChecked: saved, settingsFromCache: saved, settingsEqual: saved });
      const s = result.patterns.settings;
      expect(s.reads).toBe(count('readSettings'));
      expect(s.writes).toBe(count('saveSettings'));
      expect(s.dbQueries.withoutCache).toBe(s.reads + s.writes);
      expect(s.dbQueries.withCache).toBe(s.misses + s.writes);
      expect(s.hits).toBeGreaterThan(0);
      expect(s.dbQueries.withCache).toBeLessThan(s.dbQueries.withoutCache);
    });

    test('write-around: every repriced product reads the database price; those not read since reload it', () => {
      const repriced = distinct('updatePrice', (r) => r.productId);
      // A repriced product not read (at checkout) since its last update has no cached price: the check's read reloads it.
      const lastEvent = new Map<number, string>();
      for (const r of workload.requests) if (r.kind === 'updatePrice' || r.kind === 'checkout') lastEvent.set(r.productId, r.kind);
      const notReadSinceUpdate = [...lastEvent.values()].filter((kind) => kind === 'updatePrice').length;
      expect(notReadSinceUpdate).toBeGreaterThan(0);
      expect(result.checks).toMatchObject({ pricesChecked: repriced, pricesEqual: repriced, pricesReloaded: notReadSinceUpdate });
      const p = result.patterns.prices;
      expect(p.reads).toBe(count('checkout'));
      expect(p.writes).toBe(count('updatePrice'));
      expect(p.dbQueries.withoutCache).toBe(p.reads + p.writes);
      expect(p.dbQueries.withCache).toBe(p.misses + p.writes);
      expect(p.dbQueries.withCache).toBeLessThan(p.dbQueries.withoutCache);
    });

    test('write-behind: after runtime.close() every event and every view is in the database', () => {
      const views = count('browse');
      const events = workload.eventIds.length;
      expect(result.checks).toMatchObject({ eventsInDatabase: events, eventsExpected: events, viewCountsCorrect: SMALL.products, products: SMALL.products });
      expect(result.writeBehind).toMatchObject({ viewCalls: views, viewsFlushed: views, eventCalls: events, eventRowsFlushed: events });
      // 100 events a transaction: only the last batch is partial.
      expect(result.writeBehind.eventBatches).toBe(Math.ceil(events / 100));
      const a = result.patterns.analytics;
      expect(a.writes).toBe(views + events);
      expect(a.dbQueries.withoutCache).toBe(views + events);
      expect(a.dbQueries.withCache).toBe(result.writeBehind.viewBatches + result.writeBehind.eventBatches);
      expect(a.dbQueries.withCache).toBeLessThan(a.dbQueries.withoutCache);
    });

    test('the printed report names each pattern and shows every check passing', () => {
      const header = formatHeader(result);
      expect(header).toContain('latency   0 ms per database round trip, simulated (--latency=MS or DEMO_LATENCY_MS)');
      const report = formatReport(result);
      for (const line of [
        '1. Product catalog: cache-aside (@Cacheable on getProduct)',
        '2. User settings: write-through (@WriteThrough on saveSettings, @Cacheable on getSettings)',
        '3. View counts + analytics events: write-behind (@WriteBehind on addViews (merge, batchWith: recordViews) and trackEvent (batchWith: recordEvents))',
        '4. Prices: write-around (@Invalidate on updatePrice, @Cacheable on getPrice)',
      ]) {
        expect(report).toContain(line);
      }
      expect(report).not.toContain('FAILED');
      expect(report.match(/^ {2}ok {5}/gm)).toHaveLength(4);
    });
  });

  test('with eight concurrent clients, the checks still pass and the cache still saves queries', async () => {
    const result = await runDemo({ ...SMALL, requests: 500, latencyMs: 1, clients: 8, outDir });
    expect(result.checks.ok).toBe(true);
    expect(result.checks.eventsInDatabase).toBe(result.checks.eventsExpected);
    for (const name of ['catalog', 'settings', 'analytics', 'prices'] as const) {
      expect(result.patterns[name].dbQueries.withCache).toBeLessThan(result.patterns[name].dbQueries.withoutCache);
    }
    expect(result.patterns.catalog.hits).toBeGreaterThan(0);
  });

  test('with a Redis URL it runs on TieredStore (MemoryStore L1 + RedisStore L2), says so, and passes every check', async () => {
    const redisUrl = process.env.REDIS_URL!; // set by test/setup/global-setup.mjs (a real redis-server)
    const requests = 300;
    const workload = generateWorkload({ ...SMALL, requests, zipf: 1 });
    const browsed = workload.requests.filter((r) => r.kind === 'browse');
    const result = await runDemo({ ...SMALL, requests, clients: 1, outDir, redisUrl });
    expect(result.tiered).toBe(true);
    expect(result.store).toBe(`TieredStore: MemoryStore L1 + RedisStore L2 at ${new URL(redisUrl).toString()}`);
    expect(result.checks.ok).toBe(true);
    const misses = new Set(browsed.map((r) => (r.kind === 'browse' ? r.productId : 0))).size;
    expect(result.patterns.catalog).toMatchObject({ reads: browsed.length, hits: browsed.length - misses, misses });
    expect(result.checks.eventsInDatabase).toBe(workload.eventIds.length);
  });

  test('rejects a bad option with a RangeError naming it', async () => {
    await expect(runDemo({ latencyMs: -1 })).rejects.toThrow(new RangeError('latencyMs: expected a number of milliseconds from 0 to 10000; got -1'));
    await expect(runDemo({ clients: 0 })).rejects.toThrow(new RangeError('clients: expected an integer >= 1; got 0'));
  });
});
