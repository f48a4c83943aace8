// Scaling, part "hit": the cost of a warm @Cacheable hit as the number of cached entries grows.
// Memory: MemoryStores holding 1k, 100k and 1M entries, filled through the decorated method
// (every entry a miss that loaded and populated), then read at random keys of the whole table
// (a fresh random sample, not a hot few: the CPU-cache misses of a big table show), beside an
// awaited Map.get over a Map of the same size and the same sample. Redis: 1k and 100k keys,
// sequential and 100 in flight, beside raw ioredis GET of the same keys.
import 'reflect-metadata';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { cachekit } from './cachekit.mjs';
import { decorateMethod } from './apply-decorators.mjs';
import { concurrentLoop, sequentialLoop } from './loops.mjs';
import { measureRows } from './measure-rows.mjs';
import { randomSample } from './random-sample.mjs';
import { startBenchRedis } from './redis-server.mjs';

const { Cacheable, MemoryStore, RedisStore, configureCache, getCacheRuntime } = cachekit;

const TTL_MS = 30 * 60_000;
/** Keys read per timed sample: a random pick over the whole table, reproducible. */
const SAMPLE = 1 << 16;
const IN_FLIGHT = 100;
/** Misses in flight while filling Redis (reads leave together as one MGET, writes as one script). */
const FILL_IN_FLIGHT = 250;

const ids = [];
/** The ids `product-0 .. product-<n-1>` (one string object per id, shared by every row). */
function idsUpTo(n) {
  for (let i = ids.length; i < n; i++) ids.push(`product-${i}`);
  return ids;
}
const load = (id) => ({ id, name: `Product ${id.slice(8)}`, price: 100 + id.length });

/** An instance of a class named `name` whose async `get(id)` is decorated with `decorator`; `loads` counts misses. */
function repository(name, decorator) {
  const Repository = {
    [name]: class {
      loads = 0;
      async get(id) {
        this.loads++;
        return load(id);
      }
    },
  }[name];
  decorateMethod(Repository, 'get', decorator);
  return new Repository();
}

/** Awaits `call(id)` for ids[0..n), `inFlight` at a time. @returns ms taken */
async function fill(call, n, inFlight = 1) {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await call(ids[next++]);
    }),
  );
  return performance.now() - started;
}

/**
 * Reads every key again until a pass loads nothing: a populate the store failed (a Redis
 * deadline missed on this loaded machine while filling) leaves a key out, and timing would then
 * count misses as hits. @throws when keys are still missing after 3 passes
 */
async function refillMissing(name, repo, n) {
  for (let pass = 0; pass < 3; pass++) {
    const before = repo.loads;
    await fill((id) => repo.get(id), n, IN_FLIGHT);
    if (repo.loads === before) return;
    console.log(`  ${name}: ${repo.loads - before} entries were missing after the fill (written again)`);
  }
  throw new Error(`${name}: entries still missing after 3 passes`);
}

/** Checks every sampled key returns its own value. */
async function check(name, call, keys) {
  for (let i = 0; i < keys.length; i += 97) {
    const got = await call(keys[i]);
    if (got?.id !== keys[i]) throw new Error(`${name}: wrong value for ${keys[i]}: ${JSON.stringify(got)}`);
  }
}

/** The sizes of the memory part: bench/scaling.mjs measures each in a process of its own. */
export const memorySizes = ({ quick }) => (quick ? [1_000, 10_000, 100_000] : [1_000, 100_000, 1_000_000]);

/**
 * Memory hit at each of `sizes`, interleaved with Map.get at the same size. One size per
 * process gives each figure the heap of a process caching that many entries: with a 1M-entry
 * table beside it, a 1k table's hits (and Map.get's) cost several times more here, as every
 * scavenge then works in a big heap.
 * @returns rows { store, entries, impl, nsPerOp, fillUsPerEntry? }
 */
export async function memoryHit({ quick, sizes = memorySizes({ quick }) }) {
  idsUpTo(Math.max(...sizes));
  const stores = Object.fromEntries(sizes.map((n) => [`m${n}`, new MemoryStore({ maxEntries: n })]));
  configureCache({ store: new MemoryStore(), stores, ttl: TTL_MS });
  const rows = [];
  for (const n of sizes) {
    const repo = repository(`Products${n}`, Cacheable({ store: `m${n}` }));
    const fillMs = await fill((id) => repo.get(id), n);
    const map = new Map();
    for (let i = 0; i < n; i++) map.set(ids[i], load(ids[i]));
    const keys = randomSample(ids, n, SAMPLE, n);
    const cachekitRow = { name: `cachekit @Cacheable, MemoryStore, ${n} entries`, entries: n, impl: 'cachekit', call: (id) => repo.get(id), repo, keys };
    cachekitRow.fillUsPerEntry = (fillMs * 1000) / n;
    const mapRow = { name: `Map.get (awaited), ${n} entries`, entries: n, impl: 'Map.get', call: (id) => map.get(id), keys, map };
    rows.push(cachekitRow, mapRow);
    console.log(`  memory: ${n} entries filled through the decorated method in ${(fillMs / 1000).toFixed(1)} s`);
  }
  for (const row of rows) {
    await check(row.name, row.call, row.keys);
    row.run = sequentialLoop(row.name, row.call, row.keys, 10_000);
    row.ops = 10_000;
  }
  const loadsBefore = rows.map((r) => r.repo?.loads ?? 0);
  await measureRows(rows, { rounds: quick ? 1 : 3, minCpuMs: quick ? 100 : 300, log: console.log });
  rows.forEach((r, i) => {
    if ((r.repo?.loads ?? 0) !== loadsBefore[i]) throw new Error(`${r.name}: ${r.repo.loads - loadsBefore[i]} misses while timing hits`);
  });
  const entriesHeld = Object.fromEntries(Object.entries(stores).map(([name, s]) => [name, s.size]));
  for (const n of sizes) if (entriesHeld[`m${n}`] !== n) throw new Error(`MemoryStore m${n} holds ${entriesHeld[`m${n}`]} entries, not ${n}`);
  await getCacheRuntime().close();
  return rows.map(({ entries, impl, nsPerOp, fillUsPerEntry }) => ({ store: 'memory', entries, impl, mode: 'sequential', nsPerOp, fillUsPerEntry }));
}

/** Redis hit at each size, sequential and 100 in flight. @returns rows like memoryHit's, or { skipped } */
export async function redisHit({ quick }) {
  const sizes = [1_000, 100_000];
  idsUpTo(Math.max(...sizes));
  const server = await startBenchRedis('scaling (redis hit)');
  if (server === undefined) return { skipped: 'redis-server not installed' };
  const client = new Redis({ host: '127.0.0.1', port: server.port });
  try {
    configureCache({ store: new RedisStore({ client }), ttl: TTL_MS });
    const rows = [];
    for (const n of sizes) {
      const repo = repository(`Products${n}`, Cacheable());
      const fillMs = await fill((id) => repo.get(id), n, FILL_IN_FLIGHT);
      await refillMissing(`redis ${n}`, repo, n);
      for (let i = 0; i < n; i += 1_000) {
        const pipeline = client.pipeline();
        for (let j = i; j < Math.min(n, i + 1_000); j++) pipeline.set(`raw:${n}:${ids[j]}`, JSON.stringify(load(ids[j])), 'PX', TTL_MS);
        await pipeline.exec();
      }
      const keys = randomSample(ids, n, quick ? 4_000 : 10_000, n);
      const cachekitCall = (id) => repo.get(id);
      const rawCall = (id) => client.get(`raw:${n}:${id}`).then((v) => JSON.parse(v));
      rows.push(
        { name: `cachekit @Cacheable, RedisStore, ${n} keys, sequential`, entries: n, impl: 'cachekit', mode: 'sequential', call: cachekitCall, repo, keys, fillUsPerEntry: (fillMs * 1000) / n },
        { name: `cachekit @Cacheable, RedisStore, ${n} keys, ${IN_FLIGHT} in flight`, entries: n, impl: 'cachekit', mode: `${IN_FLIGHT} in flight`, call: cachekitCall, repo, keys },
        { name: `raw ioredis GET, ${n} keys, sequential`, entries: n, impl: 'raw GET', mode: 'sequential', call: rawCall, keys },
        { name: `raw ioredis GET, ${n} keys, ${IN_FLIGHT} in flight`, entries: n, impl: 'raw GET', mode: `${IN_FLIGHT} in flight`, call: rawCall, keys },
      );
      console.log(`  redis: ${n} keys filled through the decorated method (${FILL_IN_FLIGHT} in flight) in ${(fillMs / 1000).toFixed(1)} s`);
    }
    for (const row of rows) {
      await check(row.name, row.call, row.keys);
      if (row.mode === 'sequential') {
        row.run = sequentialLoop(row.name, row.call, row.keys, 250);
        row.ops = 250;
      } else {
        row.run = concurrentLoop(row.name, row.call, row.keys, IN_FLIGHT);
        row.ops = row.keys.length;
      }
    }
    const loadsBefore = rows.map((r) => r.repo?.loads ?? 0);
    await measureRows(rows, { rounds: quick ? 1 : 3, minCpuMs: quick ? 100 : 300, log: console.log });
    rows.forEach((r, i) => {
      if ((r.repo?.loads ?? 0) !== loadsBefore[i]) throw new Error(`${r.name}: ${r.repo.loads - loadsBefore[i]} misses while timing hits`);
    });
    await getCacheRuntime().close();
    return rows.map(({ entries, impl, mode, nsPerOp, fillUsPerEntry }) => ({ store: 'redis', entries, impl, mode, nsPerOp, fillUsPerEntry }));
  } finally {
    client.disconnect();
    server.stop();
  }
}
