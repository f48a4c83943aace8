// The @Cacheable hit path on the in-memory store, against raw data structures, a minimal
// hand-written decorator and the peer libraries, all on warm caches over the same 1,000
// string ids. Each operation awaits one call; one sample awaits the 1,000 ids in turn.
//
// Decorators are applied by hand in legacy form (bench/lib/apply-decorators.mjs), exactly as
// TypeScript's emitted __decorate does, to the compiled dist/: the wrapped method is the same
// function a TypeScript user gets, in either decorator mode.
import 'reflect-metadata';
import { LRUCache } from 'lru-cache';
import { Cacheable as TypeCacheable } from '@type-cacheable/core';
import { useAdapter as useLruAdapter } from '@type-cacheable/lru-cache-adapter';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { createCache as createCacheManager } from 'cache-manager';
import { createCache as createDedupeCache } from 'async-cache-dedupe';
import { cachekit, cachekitSource } from './lib/cachekit.mjs';
import { decorateMethod } from './lib/apply-decorators.mjs';
import { minimalCacheable } from './lib/minimal-cacheable.mjs';
import { sequentialLoop } from './lib/loops.mjs';
import { measureRows } from './lib/measure-rows.mjs';
import { selectRows } from './lib/select-rows.mjs';
import { formatNumber, formatRatio, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const { Cacheable, MemoryStore, configureCache } = cachekit;

/** `--keys=N`: the size of the warm key set (default 1,000); e.g. 100000 to see a working set larger than any key memo. */
const KEYS = Number(process.argv.find((a) => a.startsWith('--keys='))?.slice('--keys='.length) ?? 1_000);
/** Capacity of every cache: room for the whole key set. */
const CAPACITY = Math.max(10_000, 2 * KEYS);
/** Operations per sample: the whole key set, or 10,000 of it (going round) for a large one. */
const PER_SAMPLE = Math.min(KEYS, 10_000);
/** Other decorated methods per decorator library, called before timing, as in an application. */
const OTHER_METHODS = 8;
const TTL_MS = 5 * 60_000;
const BASELINE = 'minimal hand-written decorator';
const quick = process.argv.includes('--quick');


const ids = Array.from({ length: KEYS }, (_, i) => `product-${String(i).padStart(5, '0')}`);
/** What the "database" returns: a small object per id, built once. */
const rows = new Map(ids.map((id, i) => [id, { id, name: `Product ${i}`, price: 100 + i }]));
const load = (id) => rows.get(id);

/**
 * Decorates and calls OTHER_METHODS more methods with `decorator(i)`, so the library's shared
 * code has seen several methods (key options, argument types) before it is timed: a process
 * with one decorated method would flatter a library whose hot path V8 specializes per site.
 */
async function warmOtherMethods(decorator) {
  for (let m = 0; m < OTHER_METHODS; m++) {
    class Other {
      async get(a, b) {
        return { a, b };
      }
    }
    decorateMethod(Other, 'get', decorator(m));
    const other = new Other();
    for (let i = 0; i < 2_000; i++) await other.get(m % 2 === 0 ? ids[i % 200] : i % 200, m % 3 === 0 ? 'x' : undefined);
  }
}

/** Various cachekit options, one per other method. */
const cachekitVariety = (m) =>
  [
    Cacheable(),
    Cacheable({ key: (a) => a }),
    Cacheable({ key: 'other:{0}' }),
    Cacheable({ key: (a, b) => `${a}/${b}` }),
    Cacheable({ ttl: 0 }),
    Cacheable({ tags: ['other'] }),
    Cacheable({ namespace: 'other', key: (a) => a }),
    Cacheable({ cacheNull: false }),
  ][m % 8];

async function main() {
  const suite = [];

  // --- raw data structures (no decorator) ---
  const map = new Map(ids.map((id) => [id, load(id)]));
  suite.push({ name: 'raw Map.get (awaited)', call: (id) => map.get(id) });

  const lru = new LRUCache({ max: CAPACITY, ttl: TTL_MS });
  for (const id of ids) lru.set(id, load(id));
  suite.push({ name: 'lru-cache get (awaited)', call: (id) => lru.get(id) });

  // --- the baseline ---
  class MinimalRepo {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(MinimalRepo, 'get', minimalCacheable());
  await warmOtherMethods(() => minimalCacheable());
  const minimal = new MinimalRepo();
  suite.push({ name: BASELINE, call: (id) => minimal.get(id) });

  // --- cachekit ---
  configureCache({ store: new MemoryStore({ maxEntries: CAPACITY }), ttl: TTL_MS });
  await warmOtherMethods(cachekitVariety);
  class CachekitRepo {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(CachekitRepo, 'get', Cacheable());
  const cachekit = new CachekitRepo();
  suite.push({ name: 'cachekit @Cacheable()', call: (id) => cachekit.get(id), cachekit: true });

  class CachekitKeyRepo {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(CachekitKeyRepo, 'get', Cacheable({ key: (id) => id }));
  const cachekitKey = new CachekitKeyRepo();
  suite.push({ name: 'cachekit @Cacheable({ key: id => id })', call: (id) => cachekitKey.get(id), cachekit: true });

  // --- peers ---
  useLruAdapter(new LRUCache({ max: CAPACITY }));
  await warmOtherMethods((m) => TypeCacheable({ cacheKey: (args) => `${m}:${args.join('/')}`, ttlSeconds: TTL_MS / 1000 }));
  class TypeCacheableRepo {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(TypeCacheableRepo, 'get', TypeCacheable({ cacheKey: (args) => args[0], ttlSeconds: TTL_MS / 1000 }));
  const typeCacheableRepo = new TypeCacheableRepo();
  suite.push({ name: '@type-cacheable/core @Cacheable (lru-cache adapter)', call: (id) => typeCacheableRepo.get(id) });

  const bento = new BentoCache({
    default: 'memory',
    ttl: TTL_MS,
    stores: { memory: bentostore().useL1Layer(memoryDriver({ maxItems: CAPACITY, serialize: false })) },
  });
  suite.push({ name: 'bentocache getOrSet (memory, serialize: false)', call: (id) => bento.getOrSet({ key: id, factory: () => load(id) }) });

  const cacheManager = createCacheManager({ ttl: TTL_MS });
  suite.push({ name: 'cache-manager wrap (default Keyv memory store)', call: (id) => cacheManager.wrap(id, async () => load(id)) });

  const dedupe = createDedupeCache({ ttl: TTL_MS / 1000, storage: { type: 'memory', options: { size: CAPACITY } } });
  dedupe.define('getProduct', async (id) => load(id));
  suite.push({ name: 'async-cache-dedupe (memory)', call: (id) => dedupe.getProduct(id) });

  selectRows(suite, (row) => row.name === BASELINE);

  // Warm every cache and check each returns the right object for every id.
  for (const row of suite) {
    if (row.skip !== undefined) continue;
    for (const id of ids) await row.call(id);
    for (const id of ids) {
      const got = await row.call(id);
      if (got?.id !== id) throw new Error(`${row.name}: wrong value for ${id}: ${JSON.stringify(got)}`);
    }
    row.run = sequentialLoop(row.name, row.call, ids, PER_SAMPLE);
    row.ops = PER_SAMPLE;
  }

  console.log(`memory-hit: ${suite.length} rows, ${KEYS} warm keys, cachekit from ${cachekitSource}, ${machineLine()}`);
  await measureRows(suite, { rounds: quick ? 1 : 5, minCpuMs: quick ? 100 : 200, log: console.log });

  const base = suite.find((r) => r.name === BASELINE).nsPerOp;
  const table = markdownTable(
    ['implementation', 'ns/op', 'ops/s', 'vs minimal decorator'],
    suite.filter((r) => r.skip === undefined).map((r) => [r.cachekit ? `**${r.name}**` : r.name, formatNumber(r.nsPerOp), formatNumber(r.opsPerSec, 0), formatRatio(r.nsPerOp / base)]),
  );
  const markdown = [
    '### Memory hit path (`npm run bench`, memory-hit.mjs)',
    '',
    `${machineLine()}. ${KEYS.toLocaleString('en-US')} warm keys (string ids), one awaited call at a time; median of ${quick ? 1 : 5} interleaved rounds. Ratio < 1 is faster than the minimal decorator.`,
    '',
    table,
    '',
  ].join('\n');
  console.log(`\n${markdown}`);
  console.log(`written to ${writeResult(KEYS === 1_000 ? 'memory-hit' : `memory-hit-${KEYS}-keys`, markdown)}`);
  await bento.disconnect?.();
}

await main();
