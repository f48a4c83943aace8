import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import { configureCache, MemoryStore, type CacheRuntime, type CacheStatsReport } from 'cachekit';
import { AnalyticsService, CachedAnalyticsService } from './analytics-service.js';
import { CachedCatalogService, CatalogService } from './catalog-service.js';
import { CallTimer } from './call-timer.js';
import { createDemoStore } from './demo-store.js';
import { LatencySamples, type LatencySummary } from './latency-samples.js';
import { CachedPricingService, PricingService } from './pricing-service.js';
import { CachedSettingsService, SettingsService } from './settings-service.js';
import { ShopDatabase, type DatabaseCounters, type UserSettings } from './shop-database.js';
import { generateWorkload, type ShopRequest } from './workload.js';

/** Options of {@link runDemo}; `npm run demo` sets them from flags and the environment. */
export interface DemoOptions {
  /** Requests in the workload (each run: once without the cache, once with it). @default 5000 */
  requests?: number;
  /** Products in the catalog. @default 500 */
  products?: number;
  /** Users. @default 200 */
  users?: number;
  /** Zipf exponent of product and user popularity (higher: a few items get more of the traffic). @default 1 */
  zipf?: number;
  /** Seed of the data and the workload: the same seed, the same requests. @default 42 */
  seed?: number;
  /** Simulated network latency of one database round trip, in milliseconds. @default 3 */
  latencyMs?: number;
  /** Clients sending requests at the same time. @default 16 */
  clients?: number;
  /**
   * Think time: how long each client waits after an answer before its next request, in ms.
   * It keeps the run with the cache from saturating the CPU (which would delay every timer and
   * make misses look slower than they are). @default 5
   */
  thinkMs?: number;
  /** Directory of the two SQLite files (created if missing). @default a new temporary directory */
  outDir?: string;
  /** Redis URL: run on TieredStore (MemoryStore L1 + RedisStore L2). @default none: a MemoryStore */
  redisUrl?: string;
  /** Called once before the runs, with what will run (to print a header). */
  onStart?: (info: DemoStart) => void;
  /** Called with the runtime before the run with the cache starts (e.g. to serve a dashboard of it). */
  onRuntime?: (runtime: CacheRuntime) => void | Promise<void>;
  /** Called after each request, e.g. to draw a progress bar. */
  onProgress?: (done: number, total: number, phase: DemoPhase) => void;
}

/** What {@link DemoOptions.onStart} receives. */
export type DemoStart = Pick<DemoResult, 'options' | 'store' | 'files'>;

/** The two runs of the demo. */
export type DemoPhase = 'no cache' | 'cachekit';

/** The four patterns the demo shows. */
export type PatternName = 'catalog' | 'settings' | 'analytics' | 'prices';

/** The numbers of one pattern, with the cache and without it. */
export interface PatternResult {
  /** What the pattern serves, e.g. 'Product catalog'. */
  title: string;
  /** The pattern's name, e.g. 'cache-aside'. */
  pattern: string;
  /** Which decorators on which methods. */
  decorators: string;
  /** Read calls and write calls in the workload. */
  reads: number;
  writes: number;
  /** Database queries: with cachekit (including the final flush) and without a cache. */
  dbQueries: { withCache: number; withoutCache: number };
  /** Cache hits and misses of the pattern's reads (`runtime.stats()`), and their rate. */
  hits: number;
  misses: number;
  hitRate: number;
  /** Latency of reads: cache hits, cache misses, and every read without the cache. */
  readLatency: { hit: LatencySummary; miss: LatencySummary; withoutCache: LatencySummary };
  /** Latency of writes (until the call returned), with the cache and without. */
  writeLatency: { withCache: LatencySummary; withoutCache: LatencySummary };
}

/** What the write-behind flusher wrote, counted on the database side. */
export interface WriteBehindResult {
  /** `addViews` calls in the workload, the counter updates they were merged into, the statements (`recordViews` batches) that wrote those, and the views they added. */
  viewCalls: number;
  viewUpdates: number;
  viewBatches: number;
  viewsFlushed: number;
  /** `trackEvent` calls, the transactions (`recordEvents` batches) and the rows they inserted. */
  eventCalls: number;
  eventBatches: number;
  eventRowsFlushed: number;
}

/** Checks made after the run; `ok` when all pass. */
export interface DemoChecks {
  /** Events in the database after `runtime.close()`, of those recorded. */
  eventsInDatabase: number;
  eventsExpected: number;
  /** Products whose view count in the database equals the views of the workload, of all products. */
  viewCountsCorrect: number;
  products: number;
  /**
   * Users who saved settings: how many read back equal to the database, and how many of those
   * reads were cache hits (all of them with one client; with several, a save that raced a
   * read or another save of the same user drops the key instead, and the read reloads it).
   */
  settingsChecked: number;
  settingsFromCache: number;
  settingsEqual: number;
  /** Repriced products: how many read from the database (not a cache hit), and equal to the database. */
  pricesChecked: number;
  pricesReloaded: number;
  pricesEqual: number;
  ok: boolean;
}

/** Everything the demo measured. */
export interface DemoResult {
  options: Required<Omit<DemoOptions, 'outDir' | 'redisUrl' | 'onStart' | 'onRuntime' | 'onProgress'>>;
  /** What the cache ran on. */
  store: string;
  tiered: boolean;
  files: { withCache: string; withoutCache: string };
  patterns: Record<PatternName, PatternResult>;
  writeBehind: WriteBehindResult;
  checks: DemoChecks;
  /** Wall time of each run (with the cache: the workload, then the final flush in `runtime.close()`). */
  wallMs: { withoutCache: number; withCache: number; finalFlush: number };
  /** `runtime.stats()` right after the workload. */
  stats: CacheStatsReport;
}

/** Defaults of {@link DemoOptions}. */
export const DEMO_DEFAULTS = { requests: 5_000, products: 500, users: 200, zipf: 1, seed: 42, latencyMs: 3, clients: 16, thinkMs: 5 } as const;

/** The services a run uses: plain (every call hits the database) or with the cachekit decorators. */
interface ShopServices {
  catalog: CatalogService;
  settings: SettingsService;
  analytics: AnalyticsService;
  pricing: PricingService;
}

/** Latencies of one pattern's calls in one run. */
interface PatternSamples {
  hit: LatencySamples;
  miss: LatencySamples;
  uncached: LatencySamples;
  writes: LatencySamples;
}

type RunSamples = Record<PatternName, PatternSamples>;

const DESCRIPTIONS: Record<PatternName, Pick<PatternResult, 'title' | 'pattern' | 'decorators'>> = {
  catalog: { title: 'Product catalog', pattern: 'cache-aside', decorators: '@Cacheable on getProduct' },
  settings: { title: 'User settings', pattern: 'write-through', decorators: '@WriteThrough on saveSettings, @Cacheable on getSettings' },
  analytics: {
    title: 'View counts + analytics events',
    pattern: 'write-behind',
    decorators: '@WriteBehind on addViews (merge, batchWith: recordViews) and trackEvent (batchWith: recordEvents)',
  },
  prices: { title: 'Prices', pattern: 'write-around', decorators: '@Invalidate on updatePrice, @Cacheable on getPrice' },
};

/** The runtime stats entry of each pattern's cached read. */
const READ_METHODS: Partial<Record<PatternName, string>> = {
  catalog: 'CachedCatalogService.getProduct',
  settings: 'CachedSettingsService.getSettings',
  prices: 'CachedPricingService.getPrice',
};

/** Which tables each pattern's queries go to. */
const TABLES: Record<PatternName, Array<keyof DatabaseCounters['queries']>> = {
  catalog: ['products'],
  settings: ['user_settings'],
  analytics: ['product_views', 'events'],
  prices: ['prices'],
};

/**
 * Runs the shop twice on SQLite with the same workload: once with plain services (every call
 * a database query), once with the cachekit decorators. Then checks the results: settings read
 * from the cache equal the database, repriced products read their new price, and after
 * `runtime.close()` every write-behind write is in the database.
 * @returns the numbers of both runs, per pattern
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const o = resolveOptions(options);
  const workload = generateWorkload(o);
  const dir = options.outDir ?? mkdtempSync(join(tmpdir(), 'cachekit-demo-'));
  mkdirSync(dir, { recursive: true });
  const files = { withoutCache: join(dir, 'shop-no-cache.db'), withCache: join(dir, 'shop-cache.db') };
  const dbOptions = { latencyMs: o.latencyMs, products: o.products, users: o.users, seed: o.seed };
  const progress = (phase: DemoPhase) => (done: number) => options.onProgress?.(done, workload.requests.length, phase);

  const demoStore = createDemoStore(options.redisUrl, 10_000);
  options.onStart?.({ options: o, store: demoStore.description, files });

  // 1. Without a cache: the plain services.
  let withoutCache: { samples: RunSamples; wallMs: number };
  const plainDb = ShopDatabase.open({ ...dbOptions, file: files.withoutCache });
  try {
    const plain = { catalog: new CatalogService(plainDb), settings: new SettingsService(plainDb), analytics: new AnalyticsService(plainDb), pricing: new PricingService(plainDb) };
    withoutCache = await runWorkload(workload.requests, plain, new CallTimer(), o, progress('no cache'));
  } catch (error) {
    await demoStore.store.close();
    throw error;
  } finally {
    plainDb.close();
  }
  const plainQueries = { ...plainDb.counters.queries };

  // 2. With cachekit: the same services with their decorators, on a fresh copy of the database.
  const runtime = configureCache({
    store: demoStore.store,
    stores: { events: new MemoryStore({ maxEntries: 2_000 }) },
    prefix: `shop-demo-${process.pid}-${Date.now().toString(36)}`,
    ttl: '5m',
  });
  const db = ShopDatabase.open({ ...dbOptions, file: files.withCache });
  try {
    await options.onRuntime?.(runtime);
    const timer = new CallTimer();
    timer.attach(runtime);
    const cached = {
      catalog: new CachedCatalogService(db),
      settings: new CachedSettingsService(db),
      analytics: new CachedAnalyticsService(db),
      pricing: new CachedPricingService(db),
    };
    const withCache = await runWorkload(workload.requests, cached, timer, o, progress('cachekit'));
    const stats = runtime.stats();
    const readQueries = { ...db.counters.queries };

    // Checks through the cache (after the counts above, so they do not change them).
    const savedUsers = unique(workload.requests.flatMap((r) => (r.kind === 'saveSettings' ? [r.settings.userId] : [])));
    const settingsReads = await Promise.all(savedUsers.map((userId) => timer.time(() => cached.settings.getSettings(userId))));
    const settingsFromCache = settingsReads.filter((read) => read.outcome === 'hit').length;
    const settingsEqual = settingsReads.filter((read, i) => sameSettings(read.value, db.readSettings(savedUsers[i]!))).length;
    const repriced = unique(workload.requests.flatMap((r) => (r.kind === 'updatePrice' ? [r.productId] : [])));
    const priceReads = await Promise.all(repriced.map((productId) => timer.time(() => cached.pricing.getPrice(productId))));
    const pricesReloaded = priceReads.filter((read) => read.outcome !== 'hit').length;
    const pricesEqual = priceReads.filter((read, i) => read.value === db.readPrice(repriced[i]!)).length;

    // Close: flushes every queued write-behind write; then look for each one in the database.
    const closeStart = performance.now();
    await runtime.close();
    const finalFlush = performance.now() - closeStart;
    const eventIds = db.readEventIds();
    const views = db.readViewCounts();
    let viewCountsCorrect = 0;
    for (let id = 1; id <= o.products; id++) if (views.get(id) === (workload.expectedViews.get(id) ?? 0)) viewCountsCorrect++;
    const checks: DemoChecks = {
      eventsInDatabase: workload.eventIds.filter((id) => eventIds.has(id)).length,
      eventsExpected: workload.eventIds.length,
      viewCountsCorrect,
      products: o.products,
      settingsChecked: savedUsers.length,
      settingsFromCache,
      settingsEqual,
      pricesChecked: repriced.length,
      pricesReloaded,
      pricesEqual,
      ok: false,
    };
    checks.ok =
      checks.eventsInDatabase === checks.eventsExpected &&
      viewCountsCorrect === o.products &&
      settingsEqual === savedUsers.length &&
      pricesEqual === repriced.length;

    const queriesWithCache = { ...readQueries, product_views: db.counters.queries.product_views, events: db.counters.queries.events };
    const patterns = {} as Record<PatternName, PatternResult>;
    for (const name of Object.keys(DESCRIPTIONS) as PatternName[]) {
      const method = READ_METHODS[name];
      const methodStats = method === undefined ? undefined : stats.methods[method];
      const a = withCache.samples[name];
      const b = withoutCache.samples[name];
      const sum = (counts: Record<string, number>) => TABLES[name].reduce((total, table) => total + counts[table]!, 0);
      patterns[name] = {
        ...DESCRIPTIONS[name],
        reads: b.uncached.summary().count,
        writes: b.writes.summary().count,
        dbQueries: { withCache: sum(queriesWithCache), withoutCache: sum(plainQueries) },
        hits: methodStats?.hits ?? 0,
        misses: methodStats?.misses ?? 0,
        hitRate: methodStats?.hitRate ?? 0,
        readLatency: { hit: a.hit.summary(), miss: a.miss.summary(), withoutCache: b.uncached.summary() },
        writeLatency: { withCache: a.writes.summary(), withoutCache: b.writes.summary() },
      };
    }
    const countKind = (kind: ShopRequest['kind']) => workload.requests.filter((r) => r.kind === kind).length;
    return {
      options: o,
      store: demoStore.description,
      tiered: demoStore.tiered,
      files,
      patterns,
      writeBehind: {
        viewCalls: countKind('browse'),
        viewUpdates: db.counters.viewUpdates,
        viewBatches: db.counters.viewWrites,
        viewsFlushed: db.counters.viewsAdded,
        eventCalls: workload.eventIds.length,
        eventBatches: db.counters.eventInserts,
        eventRowsFlushed: db.counters.eventRows,
      },
      checks,
      wallMs: { withoutCache: withoutCache.wallMs, withCache: withCache.wallMs + finalFlush, finalFlush },
      stats,
    };
  } finally {
    await runtime.close();
    db.close();
  }
}

/** Serves every request from `clients` clients (each pausing `thinkMs` between requests); records each call's latency by pattern. */
async function runWorkload(
  requests: readonly ShopRequest[],
  s: ShopServices,
  timer: CallTimer,
  { clients, thinkMs }: { clients: number; thinkMs: number },
  onDone: (done: number) => void,
): Promise<{ samples: RunSamples; wallMs: number }> {
  const samples = {} as RunSamples;
  for (const name of Object.keys(DESCRIPTIONS) as PatternName[]) {
    samples[name] = { hit: new LatencySamples(), miss: new LatencySamples(), uncached: new LatencySamples(), writes: new LatencySamples() };
  }
  const read = async <T>(pattern: PatternName, call: () => Promise<T>) => {
    const { ms, outcome } = await timer.time(call);
    samples[pattern][outcome === 'none' ? 'uncached' : outcome].add(ms);
  };
  const write = async (pattern: PatternName, call: () => Promise<unknown>) => {
    samples[pattern].writes.add((await timer.time(call)).ms);
  };
  const serve = async (r: ShopRequest): Promise<void> => {
    switch (r.kind) {
      case 'browse':
        await read('catalog', () => s.catalog.getProduct(r.productId));
        await write('analytics', () => s.analytics.addViews(r.productId, 1));
        await write('analytics', () => s.analytics.trackEvent({ id: r.eventId, type: 'view', productId: r.productId, userId: r.userId }));
        return;
      case 'checkout':
        await read('prices', () => s.pricing.getPrice(r.productId));
        await write('analytics', () => s.analytics.trackEvent({ id: r.eventId, type: 'checkout', productId: r.productId, userId: r.userId }));
        return;
      case 'readSettings':
        return read('settings', () => s.settings.getSettings(r.userId));
      case 'saveSettings':
        return write('settings', () => s.settings.saveSettings(r.settings));
      case 'updatePrice':
        return write('prices', () => s.pricing.updatePrice(r.productId, r.cents));
    }
  };
  const start = performance.now();
  let next = 0;
  let done = 0;
  const client = async () => {
    for (;;) {
      // Each request arrives as its own event-loop task, as from a socket.
      await (thinkMs > 0 ? sleep(thinkMs) : setImmediate());
      if (next >= requests.length) return;
      await serve(requests[next++]!);
      onDone(++done);
    }
  };
  await Promise.all(Array.from({ length: Math.min(clients, requests.length) }, client));
  return { samples, wallMs: performance.now() - start };
}

/** Options with defaults applied. @throws RangeError naming a bad option */
function resolveOptions(options: DemoOptions): DemoResult['options'] {
  const o = { ...DEMO_DEFAULTS, ...stripUndefined(options) };
  const integer = (name: keyof typeof DEMO_DEFAULTS, min: number) => {
    const value = o[name];
    if (!Number.isInteger(value) || value < min) throw new RangeError(`${name}: expected an integer >= ${min}; got ${String(value)}`);
  };
  integer('requests', 1);
  integer('products', 1);
  integer('users', 1);
  integer('seed', 0);
  integer('clients', 1);
  for (const name of ['latencyMs', 'thinkMs'] as const) {
    const value = o[name];
    if (!(typeof value === 'number' && value >= 0 && value <= 10_000)) {
      throw new RangeError(`${name}: expected a number of milliseconds from 0 to 10000; got ${String(value)}`);
    }
  }
  if (!(typeof o.zipf === 'number' && o.zipf >= 0 && o.zipf <= 5)) throw new RangeError(`zipf: expected a number from 0 to 5; got ${String(o.zipf)}`);
  const { requests, products, users, zipf, seed, latencyMs, clients, thinkMs } = o;
  return { requests, products, users, zipf, seed, latencyMs, clients, thinkMs };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function unique(values: number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

function sameSettings(a: UserSettings | null, b: UserSettings | null): boolean {
  return a !== null && b !== null && a.userId === b.userId && a.theme === b.theme && a.currency === b.currency && a.emailOptIn === b.emailOptIn;
}
