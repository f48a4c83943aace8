// Scaling, part "invalidate": the latency of @Invalidate({ allEntries: true }) as the namespace
// it drops grows from 1k to 1M entries, on MemoryStore and on RedisStore, and of the first read
// after it (a miss: the loader runs and the entry is written again). allEntries bumps the
// namespace's version (O(1)); entries are not visited, so both figures should stay flat.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { cachekit } from './cachekit.mjs';
import { decorateMethod } from './apply-decorators.mjs';
import { percentile } from './bus-delay-rounds.mjs';
import { seededRandom } from './random-sample.mjs';
import { startBenchRedis } from './redis-server.mjs';

const { Cacheable, Invalidate, MemoryStore, RedisStore, configureCache, getCacheRuntime } = cachekit;

const TTL_MS = 30 * 60_000;
/** Misses in flight while filling Redis (reads leave together as one MGET, writes as one script). */
const IN_FLIGHT = 250;
const load = (id) => ({ id, price: id.length });

/** A class with a cached `get(id)` and `dropAll()` (@Invalidate allEntries) over one namespace of one store. */
function namespaceOf(store, namespace) {
  class Catalog {
    loads = 0;
    async get(id) {
      this.loads++;
      return load(id);
    }
    async dropAll() {}
  }
  decorateMethod(Catalog, 'get', Cacheable({ store, namespace }));
  decorateMethod(Catalog, 'dropAll', Invalidate({ store, namespace, allEntries: true }));
  return new Catalog();
}

/**
 * @returns rows { store, entries, invalidateP50Us, invalidateP99Us, firstReadP50Us, firstReadP99Us, reps }, or { skipped }
 */
export async function invalidateAll({ quick, big }) {
  const sizes = quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000];
  // Filling Redis through the decorated method runs at 10k-30k misses/s here: 1M is --big's.
  const redisSizes = quick ? [1_000, 10_000] : big ? sizes : sizes.filter((n) => n <= 100_000);
  const server = await startBenchRedis('scaling (invalidate)');
  const client = server && new Redis({ host: '127.0.0.1', port: server.port });
  try {
    const stores = Object.fromEntries(sizes.map((n) => [`m${n}`, new MemoryStore({ maxEntries: n })]));
    if (client) stores.redis = new RedisStore({ client });
    configureCache({ store: new MemoryStore(), stores, ttl: TTL_MS });
    const ids = Array.from({ length: Math.max(...sizes) }, (_, i) => `item-${i}`);
    const cases = [];
    for (const n of sizes) cases.push({ store: 'memory', entries: n, catalog: namespaceOf(`m${n}`, `memory${n}`) });
    if (client) for (const n of redisSizes) cases.push({ store: 'redis', entries: n, catalog: namespaceOf('redis', `redis${n}`) });
    for (const c of cases) {
      const started = performance.now();
      let next = 0;
      const inFlight = c.store === 'redis' ? IN_FLIGHT : 1;
      await Promise.all(
        Array.from({ length: inFlight }, async () => {
          while (next < c.entries) await c.catalog.get(ids[next++]);
        }),
      );
      if (c.catalog.loads !== c.entries) throw new Error(`${c.store} ${c.entries}: ${c.catalog.loads} loads while filling`);
      // every entry is there: a second read of each is a hit (a populate Redis failed, a deadline
      // missed on this loaded machine, is written again)
      for (let pass = 0; ; pass++) {
        const before = c.catalog.loads;
        next = 0;
        await Promise.all(
          Array.from({ length: inFlight }, async () => {
            while (next < c.entries) await c.catalog.get(ids[next++]);
          }),
        );
        if (c.catalog.loads === before) break;
        if (pass === 2) throw new Error(`${c.store} ${c.entries}: entries still missing after 3 passes`);
        console.log(`  ${c.store} ${c.entries}: ${c.catalog.loads - before} entries were missing after the fill (written again)`);
        c.catalog.loads = before;
      }
      console.log(`  ${c.store}: namespace of ${c.entries} entries filled through the decorated method in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      c.drop = [];
      c.read = [];
    }
    // Rounds interleave the sizes of one store: round r drops each namespace once, then reads one
    // random key of it. The memory rounds run first, then the Redis ones: right after an idle
    // wait for Redis, the next few microseconds of any code run several times slower here, which
    // would tax a memory case that followed a Redis one.
    const reps = quick ? 100 : 400;
    const random = seededRandom(42);
    for (let r = 0; r < 2 * (reps + 20); r++) {
      const store = r < reps + 20 ? 'memory' : 'redis';
      for (const c of cases) {
        if (c.store !== store) continue;
        const id = ids[Math.floor(random() * c.entries)];
        const loads = c.catalog.loads;
        const t0 = performance.now();
        await c.catalog.dropAll();
        const t1 = performance.now();
        const value = await c.catalog.get(id);
        const t2 = performance.now();
        if (value?.id !== id || c.catalog.loads !== loads + 1) throw new Error(`${c.store} ${c.entries}: the read after dropAll() did not load ${id} once`);
        if (r % (reps + 20) < 20) continue; // warm-up rounds
        c.drop.push((t1 - t0) * 1000);
        c.read.push((t2 - t1) * 1000);
      }
    }
    await getCacheRuntime().close();
    const ascending = (a, b) => a - b;
    return cases.map((c) => {
      c.drop.sort(ascending);
      c.read.sort(ascending);
      return {
        store: c.store,
        entries: c.entries,
        reps,
        invalidateP50Us: percentile(c.drop, 50),
        invalidateP99Us: percentile(c.drop, 99),
        firstReadP50Us: percentile(c.read, 50),
        firstReadP99Us: percentile(c.read, 99),
      };
    });
  } finally {
    client?.disconnect();
    server?.stop();
  }
}
