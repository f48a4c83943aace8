// Resilient reads (issue 15 item 8), three measurements:
//
// 1. Memory hit path: a stale hit within grace (the entry is past its TTL, its reload failed, and
//    the key is backing off) against a fresh hit of an entry that carries the same times, and a
//    plain fresh hit. Target: stale / fresh <= 1.05.
// 2. Refresh-ahead: one hot key with a 500 ms TTL whose loader takes 50 ms, read about once a
//    millisecond for a few seconds; latency percentiles with and without `refreshAhead: 0.8`.
// 3. @CacheableMany on Redis: 100 ids of which 10 miss, against 100 @Cacheable calls in flight;
//    median time per batch, and the Redis commands each costs (INFO commandstats deltas).
//
// Decorators are applied by hand in legacy form to the compiled dist/ (lib/apply-decorators.mjs).
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { cachekit, cachekitSource } from './lib/cachekit.mjs';
import { decorateMethod } from './lib/apply-decorators.mjs';
import { sequentialLoop } from './lib/loops.mjs';
import { measureRows } from './lib/measure-rows.mjs';
import { startBenchRedis } from './lib/redis-server.mjs';
import { formatNumber, formatRatio, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const { Cacheable, CacheableMany, MemoryStore, RedisStore, ManualScheduler, configureCache } = cachekit;
const quick = process.argv.includes('--quick');
/** `--part=hit|refresh|batch`: only that part (default: all three). */
const part = process.argv.find((a) => a.startsWith('--part='))?.slice('--part='.length);
const KEYS = 1_000;
const ids = Array.from({ length: KEYS }, (_, i) => `product-${String(i).padStart(5, '0')}`);
const rows = new Map(ids.map((id, i) => [id, { id, name: `Product ${i}`, price: 100 + i }]));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** 1. Stale hits against fresh hits, on one runtime whose clock the benchmark moves. */
async function hitPath() {
  const clock = new ManualScheduler({ now: Date.now() });
  const runtime = configureCache({ store: new MemoryStore({ maxEntries: 10_000, clock }), scheduler: clock, ttl: '5m' });
  let failing = false;
  const load = (id) => {
    if (failing) throw new Error('database down');
    return rows.get(id);
  };
  class Plain {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(Plain, 'get', Cacheable({ key: (id) => id }));
  class Timed {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(Timed, 'get', Cacheable({ key: (id) => id, ttl: '1h', grace: '1h' }));
  class Stale {
    async get(id) {
      return load(id);
    }
  }
  decorateMethod(Stale, 'get', Cacheable({ key: (id) => id, ttl: '1m', grace: '1h', graceBackoff: '1h' }));
  const plain = new Plain();
  const timed = new Timed();
  const stale = new Stale();
  for (const id of ids) {
    await plain.get(id);
    await timed.get(id);
    await stale.get(id);
  }
  await clock.advance(2 * 60_000); // Stale's entries are past their TTL; the others are fresh
  failing = true;
  for (const id of ids) if ((await stale.get(id)) !== rows.get(id)) throw new Error('stale row did not answer its own value'); // each reload fails once: backing off
  const statsBefore = runtime.stats().methods['Stale.get'];
  const suite = [
    { name: 'fresh hit, entry without times', call: (id) => plain.get(id) },
    { name: 'fresh hit, entry with grace times', call: (id) => timed.get(id) },
    { name: 'stale hit within grace (backing off)', call: (id) => stale.get(id) },
  ];
  for (const row of suite) {
    for (const id of ids) if ((await row.call(id)) !== rows.get(id)) throw new Error(`${row.name}: wrong value for ${id}`);
    row.run = sequentialLoop(row.name, row.call, ids);
    row.ops = ids.length;
  }
  await measureRows(suite, { rounds: quick ? 1 : 5, minCpuMs: quick ? 100 : 200, log: console.log });
  const statsAfter = runtime.stats().methods['Stale.get'];
  if (statsAfter.misses !== statsBefore.misses) throw new Error('the stale row reloaded while measured');
  await runtime.close();
  const base = suite[1].nsPerOp;
  return markdownTable(
    ['row', 'ns/op', 'ratio to a fresh hit with grace times'],
    suite.map((r) => [r.name, formatNumber(r.nsPerOp, 1), formatRatio(r.nsPerOp / base)]),
  );
}

/** 2. Latency of a hot key whose loader takes 50 ms, with and without refresh-ahead. */
async function refreshAhead() {
  const runtime = configureCache({ store: new MemoryStore(), ttl: '5m' });
  const LOADER_MS = 50;
  const make = (options) => {
    class Hot {
      loads = 0;
      async get(id) {
        this.loads++;
        await sleep(LOADER_MS);
        return rows.get(id);
      }
    }
    decorateMethod(Hot, 'get', Cacheable({ key: (id) => id, ttl: 500, ...options }));
    return new Hot();
  };
  const variants = [
    { name: 'ttl 500 ms, no refresh-ahead', hot: make({}) },
    { name: 'ttl 500 ms, refreshAhead: 0.8', hot: make({ refreshAhead: 0.8 }) },
  ];
  const seconds = quick ? 2 : 6;
  const lines = [];
  for (const v of variants) {
    await v.hot.get(ids[0]);
    const missesBefore = runtime.stats().methods['Hot.get'].misses;
    const loadsBefore = v.hot.loads;
    const latencies = [];
    const end = performance.now() + seconds * 1000;
    while (performance.now() < end) {
      const t = performance.now();
      await v.hot.get(ids[0]);
      latencies.push(performance.now() - t);
      await sleep(1);
    }
    latencies.sort((a, b) => a - b);
    const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const slow = latencies.filter((ms) => ms > 1).length;
    const misses = runtime.stats().methods['Hot.get'].misses - missesBefore;
    lines.push([
      v.name,
      String(latencies.length),
      formatNumber(at(0.5) * 1000, 1),
      formatNumber(at(0.99) * 1000, 1),
      formatNumber(at(0.999) * 1000, 1),
      formatNumber(at(1 - 1e-9) * 1000, 0),
      String(slow),
      String(misses),
      String(v.hot.loads - loadsBefore),
    ]);
  }
  await runtime.close();
  return markdownTable(['hot key', 'calls', 'p50 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'calls > 1 ms', 'calls that waited for the loader', 'loader runs'], lines);
}

/** 3. @CacheableMany of 100 ids (10 missing) against 100 @Cacheable calls in flight, on Redis. */
async function batches() {
  const server = await startBenchRedis('resilient-reads batches');
  if (server === undefined) return '(skipped: no redis-server)';
  const url = `redis://127.0.0.1:${server.port}`;
  const admin = new Redis(url);
  const runtime = configureCache({ store: new RedisStore({ connection: url }), ttl: '5m' });
  class Products {
    async getMany(list) {
      return list.map((id) => rows.get(id));
    }
    async get(id) {
      return rows.get(id);
    }
  }
  decorateMethod(Products, 'getMany', CacheableMany({ namespace: 'product', key: (id) => id }));
  decorateMethod(Products, 'get', Cacheable({ namespace: 'product', key: (id) => id }));
  const products = new Products();
  const handle = runtime.cache('product');
  const batch = ids.slice(0, 100);
  await products.getMany(batch);
  const commands = async () => {
    const info = await admin.info('commandstats');
    const out = {};
    for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]] = Number(m[2]);
    return out;
  };
  const diff = (a, b) =>
    Object.entries(b)
      .map(([k, v]) => [k, v - (a[k] ?? 0)])
      .filter(([k, v]) => v > 0 && k !== 'info')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  const variants = [
    { name: '@CacheableMany getMany(100 ids), 10 missing', run: () => products.getMany(batch) },
    { name: '100 @Cacheable get(id) in flight, 10 missing', run: () => Promise.all(batch.map((id) => products.get(id))) },
  ];
  const rounds = quick ? 20 : 200;
  const times = new Map(variants.map((v) => [v, []]));
  const cost = new Map();
  for (let round = 0; round < rounds; round++) {
    for (const v of round % 2 ? [...variants].reverse() : variants) {
      for (let i = 0; i < 10; i++) await handle.delete(batch[(round * 10 + i * 7) % 100]);
      const before = round === 0 ? await commands() : undefined;
      const t = performance.now();
      const values = await v.run();
      times.get(v).push(performance.now() - t);
      if (before !== undefined) cost.set(v, diff(before, await commands()));
      if (values[3]?.id !== batch[3]) throw new Error(`${v.name}: wrong value`);
    }
  }
  admin.disconnect();
  await runtime.close();
  server.stop();
  const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
  const base = median(times.get(variants[1]));
  return markdownTable(
    ['row', 'median µs per 100 ids', 'ratio to 100 @Cacheable in flight', 'Redis commands (first round)'],
    variants.map((v) => [v.name, formatNumber(median(times.get(v)) * 1000, 0), formatRatio(median(times.get(v)) / base), cost.get(v) ?? '']),
  );
}

async function main() {
  const parts = [];
  if (part === undefined || part === 'hit') {
    console.log('resilient reads: hit path ...');
    parts.push('### Stale hit within grace against a fresh hit (MemoryStore, 1,000 ids)\n\n' + (await hitPath()));
  }
  if (part === undefined || part === 'refresh') {
    console.log('resilient reads: refresh-ahead ...');
    parts.push('### Hot key with a 50 ms loader, read about once a millisecond: latency with and without refresh-ahead\n\n' + (await refreshAhead()));
  }
  if (part === undefined || part === 'batch') {
    console.log('resilient reads: batches on Redis ...');
    parts.push('### @CacheableMany on Redis: 100 ids, 10 missing\n\n' + (await batches()));
  }
  const markdown = `# Resilient reads\n\n${machineLine()}; cachekit from ${cachekitSource}\n\n${parts.join('\n\n')}\n`;
  console.log(markdown);
  if (part === undefined) console.log(`written to ${writeResult('resilient-reads', markdown)}`);
}

await main();
