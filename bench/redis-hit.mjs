// The @Cacheable hit path on Redis, against raw ioredis GET and the peers, on one private
// redis-server (loopback, no persistence). Every row reads the same 1,000 warm keys holding
// the same small object. Sequential rows await one call at a time; "100 in flight" rows keep
// 100 calls outstanding. The ratio is throughput relative to the raw ioredis GET row of the
// same concurrency (higher is better). The targets (issue 18), printed beside the figures: the
// default RedisStore row (default options: versions tracked, the default serializer; a user's
// plain `new Redis()` client handed to it) >= 0.97x raw GET sequential, paired call by call,
// and >= 1.5x raw GET with 100 in flight.
import 'reflect-metadata';
import { Redis } from 'ioredis';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { cachekit, cachekitSource } from './lib/cachekit.mjs';
import { decorateMethod } from './lib/apply-decorators.mjs';
import { concurrentLoop, sequentialLoop } from './lib/loops.mjs';
import { measureRows } from './lib/measure-rows.mjs';
import { selectRows } from './lib/select-rows.mjs';
import { startBenchRedis } from './lib/redis-server.mjs';
import { formatNumber, formatRatio, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const { Cacheable, MemoryStore, configureCache, getCacheRuntime, RedisStore, TieredStore } = cachekit;

const KEYS = 1_000;
const IN_FLIGHT = 100;
const SEQUENTIAL_SAMPLE = 250;
const TTL_MS = 10 * 60_000;
const quick = process.argv.includes('--quick');

const ids = Array.from({ length: KEYS }, (_, i) => `product-${String(i).padStart(5, '0')}`);
const rows = new Map(ids.map((id, i) => [id, { id, name: `Product ${i}`, price: 100 + i }]));
const load = (id) => rows.get(id);

/** An instance of a class named `name` whose async `get(id)` is decorated with `decorator`. */
function repository(name, decorator) {
  const Repository = {
    [name]: class {
      async get(id) {
        return load(id);
      }
    },
  }[name];
  decorateMethod(Repository, 'get', decorator);
  return new Repository();
}

async function main() {
  const server = await startBenchRedis('redis-hit');
  if (server === undefined) return;
  const connection = { host: '127.0.0.1', port: server.port };
  const closers = [];
  const client = (options = {}) => {
    const c = new Redis({ ...connection, ...options });
    closers.push(() => c.quit());
    return c;
  };

  try {
    const plain = client();
    // the client a user hands to the default RedisStore row: a plain `new Redis()` of its own
    const users = client();
    const pipelined = client({ enableAutoPipelining: true });
    for (const id of ids) await plain.set(`raw:${id}`, JSON.stringify(load(id)), 'PX', TTL_MS);

    /** Rows: [name, concurrency, call, group]; a call returns the value read for an id. */
    const suite = [];
    const add = (name, concurrency, call, extra = {}) => suite.push({ name, concurrency, call, ...extra });

    add('raw ioredis GET', 1, (id) => plain.get(`raw:${id}`), { raw: true, check: (v) => JSON.parse(v) });
    add('raw ioredis GET', IN_FLIGHT, (id) => plain.get(`raw:${id}`), { raw: true, check: (v) => JSON.parse(v) });
    add('raw ioredis GET, enableAutoPipelining', IN_FLIGHT, (id) => pipelined.get(`raw:${id}`), { check: (v) => JSON.parse(v) });

    // --- cachekit ---
    let tiered;
    const missing = ['RedisStore', 'TieredStore'].filter((name) => typeof cachekit[name] !== 'function');
    if (missing.length === 0) {
      const stores = {
        // default options, as a user writes it
        redis: new RedisStore({ client: users }),
        redisUntracked: new RedisStore({ client: plain, trackVersions: false }),
        redisPipelined: new RedisStore({ client: pipelined }),
        // Every read misses L1 (it holds one entry) and hits L2, then refills L1.
        tieredL2: new TieredStore({ l1: new MemoryStore({ maxEntries: 1 }), l2: new RedisStore({ client: plain }), bus: false }),
        tiered: new TieredStore({ l1: new MemoryStore({ maxEntries: 10_000 }), l2: new RedisStore({ client: plain }) }),
      };
      configureCache({ store: new MemoryStore(), stores, ttl: TTL_MS });
      closers.unshift(() => getCacheRuntime().close());
      const onRedis = repository('OnRedis', Cacheable({ store: 'redis' }));
      const onUntracked = repository('OnUntrackedRedis', Cacheable({ store: 'redisUntracked' }));
      const onPipelined = repository('OnPipelinedRedis', Cacheable({ store: 'redisPipelined' }));
      const onTieredL2 = repository('OnTieredL2', Cacheable({ store: 'tieredL2' }));
      const onTiered = repository('OnTiered', Cacheable({ store: 'tiered' }));
      tiered = stores.tiered;
      add('cachekit @Cacheable, RedisStore', 1, (id) => onRedis.get(id), { cachekit: true });
      add('cachekit @Cacheable, RedisStore', IN_FLIGHT, (id) => onRedis.get(id), { cachekit: true });
      add('cachekit @Cacheable, RedisStore, trackVersions: false', 1, (id) => onUntracked.get(id), { cachekit: true });
      add('cachekit @Cacheable, RedisStore (auto-pipelining client)', IN_FLIGHT, (id) => onPipelined.get(id), { cachekit: true });
      add('cachekit @Cacheable, TieredStore, L1 miss + L2 hit', 1, (id) => onTieredL2.get(id), { cachekit: true });
      add('cachekit @Cacheable, TieredStore, L1 hit', 1, (id) => onTiered.get(id), { cachekit: true });
    } else {
      const why = `${missing.join(' and ')} not exported by cachekit yet`;
      console.log(`redis-hit: cachekit rows skipped: ${why}`);
      for (const name of ['RedisStore', 'TieredStore']) add(`cachekit @Cacheable, ${name}`, 1, undefined, { skip: why, cachekit: true });
    }

    // --- peers ---
    const bento = new BentoCache({ default: 'redis', ttl: TTL_MS, stores: { redis: bentostore().useL2Layer(redisDriver({ connection })) } });
    closers.unshift(() => bento.disconnect());
    add('bentocache getOrSet (Redis only)', 1, (id) => bento.getOrSet({ key: id, factory: () => load(id) }));
    add('bentocache getOrSet (Redis only)', IN_FLIGHT, (id) => bento.getOrSet({ key: id, factory: () => load(id) }));

    const keyvRedis = new KeyvRedis(`redis://127.0.0.1:${server.port}`);
    const cacheManager = createCacheManager({ stores: [new Keyv({ store: keyvRedis })], ttl: TTL_MS });
    closers.unshift(() => cacheManager.disconnect());
    add('cache-manager wrap + @keyv/redis', 1, (id) => cacheManager.wrap(id, async () => load(id)));
    add('cache-manager wrap + @keyv/redis', IN_FLIGHT, (id) => cacheManager.wrap(id, async () => load(id)));

    selectRows(suite, (row) => row.raw === true);

    // Warm every cache (the misses populate it), then check every row returns the right value.
    for (const row of suite) {
      if (row.skip !== undefined) continue;
      for (const id of ids) await row.call(id);
      if (row.name.includes('TieredStore, L1 hit')) await waitForL1(row, tiered);
      for (const id of ids) {
        const got = await row.call(id);
        const value = row.check ? row.check(got) : got;
        if (value?.id !== id) throw new Error(`${row.name}: wrong value for ${id}: ${JSON.stringify(value)}`);
      }
      const label = `${row.name}, ${row.concurrency === 1 ? 'sequential' : `${row.concurrency} in flight`}`;
      // A sequential sample is 250 calls (~40 ms here), so the rounds interleave finely.
      row.ops = row.concurrency === 1 ? SEQUENTIAL_SAMPLE : KEYS;
      row.run = row.concurrency === 1 ? sequentialLoop(label, row.call, ids, row.ops) : concurrentLoop(label, row.call, ids, row.concurrency);
    }

    console.log(`redis-hit: ${suite.length} rows, ${KEYS} warm keys, redis-server pid ${server.pid} on 127.0.0.1:${server.port}, cachekit from ${cachekitSource}, ${machineLine()}`);
    await measureRows(suite, { rounds: quick ? 1 : 5, minCpuMs: quick ? 100 : 200, log: console.log });
    report(suite, await pairedSequential(suite, quick ? 1_000 : 10_000, quick ? 1 : 7));
  } finally {
    for (const close of closers) await Promise.resolve().then(close).catch(() => {});
    server.stop();
  }
}

/**
 * Sequential hits with their round trip's noise cancelled: for each sequential RedisStore row,
 * its hits and raw GETs alternate call by call (which goes first alternates too), each call timed
 * on its own, so both see the same moments of the machine. The pairs come in `blocks` blocks of
 * `pairs`, the rows taking turns block by block; a row's figure is its median block (the ratio of
 * raw's total time to the row's over the block's pairs), so a block that a stall of the shared
 * machine landed in (milliseconds, on one side of a pair) does not decide it.
 * @returns per row its median block's mean, raw's mean over the same pairs, the throughput ratio
 * and every block's ratio; undefined without the rows
 */
async function pairedSequential(suite, pairs, blocks) {
  const raw = suite.find((r) => r.raw && r.concurrency === 1 && r.skip === undefined);
  const rows = suite.filter((r) => r.name.startsWith('cachekit @Cacheable, RedisStore') && r.concurrency === 1 && r.skip === undefined);
  if (!raw || rows.length === 0) return undefined;
  const measured = rows.map(() => []);
  for (let block = 0; block < blocks; block++) {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      let rawNs = 0;
      let rowNs = 0;
      for (let i = 0; i < pairs; i++) {
        const id = ids[i % ids.length];
        const [first, second] = i % 2 === 0 ? [raw, row] : [row, raw];
        const t0 = process.hrtime.bigint();
        await first.call(id);
        const t1 = process.hrtime.bigint();
        await second.call(id);
        const t2 = process.hrtime.bigint();
        const [rawPart, rowPart] = first === raw ? [t1 - t0, t2 - t1] : [t2 - t1, t1 - t0];
        rawNs += Number(rawPart);
        rowNs += Number(rowPart);
      }
      measured[r].push({ rawUs: rawNs / pairs / 1000, us: rowNs / pairs / 1000, ratio: rawNs / rowNs });
    }
  }
  const results = rows.map((row, r) => {
    const byRatio = [...measured[r]].sort((a, b) => a.ratio - b.ratio);
    const median = byRatio[(byRatio.length - 1) >> 1];
    return { name: row.name, ...median, blocks: measured[r].map((m) => m.ratio) };
  });
  return { pairs, blocks, rows: results };
}

/** L1 serves only while the invalidation bus is subscribed: wait for it, then fill L1. */
async function waitForL1(row, tiered) {
  for (let attempt = 0; attempt < 250 && !tiered.l1Active; attempt++) await new Promise((resolve) => globalThis.setTimeout(resolve, 20));
  if (!tiered.l1Active) throw new Error('TieredStore: the invalidation bus did not subscribe within 5 s');
  for (const id of ids) await row.call(id);
}

/** The issue 18 targets: the default RedisStore row against raw GET, paired sequential and 100 in flight. */
const TARGETS = { paired: 0.97, inFlight: 1.5 };

function report(suite, paired) {
  const baseline = (concurrency) => suite.find((r) => r.raw && r.concurrency === concurrency)?.nsPerOp;
  const defaultRow = 'cachekit @Cacheable, RedisStore';
  const pairedDefault = paired?.rows.find((r) => r.name === defaultRow);
  const inFlight = suite.find((r) => r.name === defaultRow && r.concurrency === IN_FLIGHT && r.nsPerOp !== undefined);
  const inFlightRatio = inFlight ? baseline(IN_FLIGHT) / inFlight.nsPerOp : undefined;
  const verdict = (ratio, target) => (ratio === undefined ? 'not measured' : `**${formatRatio(ratio)}** (target >= ${formatRatio(target)}: ${ratio >= target ? 'met' : 'missed'})`);
  const lines = suite.filter((r) => !r.skip?.startsWith('not selected')).map((r) => {
    const mode = r.concurrency === 1 ? 'sequential' : `${r.concurrency} in flight`;
    const name = r.cachekit ? `**${r.name}**` : r.name;
    if (r.skip !== undefined) return [name, mode, 'skipped', '', r.skip];
    return [name, mode, formatNumber(r.nsPerOp / 1000, 2), formatNumber(r.opsPerSec, 0), formatRatio(baseline(r.concurrency) / r.nsPerOp)];
  });
  const markdown = [
    '### Redis hit path (`npm run bench`, redis-hit.mjs)',
    '',
    `${machineLine()}; one local redis-server 127.0.0.1 (no persistence). ${KEYS.toLocaleString('en-US')} warm keys, one small object each; median of ${quick ? 1 : 5} interleaved rounds. "vs raw" is throughput relative to raw ioredis GET at the same concurrency (higher is better).`,
    '',
    markdownTable(['implementation', 'concurrency', 'µs/op', 'ops/s', 'vs raw ioredis'], lines),
    '',
    ...(paired
      ? [
          `Paired sequential (for each row, ${paired.blocks} block${paired.blocks === 1 ? '' : 's'} of ${paired.pairs.toLocaleString('en-US')} of its hits and raw GETs alternating call by call, so both see the same machine noise; the median block): ${paired.rows.map((r) => `${r.name.replace('cachekit @Cacheable, ', '')} ${formatNumber(r.us, 2)} µs vs raw ${formatNumber(r.rawUs, 2)} µs, **${formatRatio(r.ratio)}** (blocks ${r.blocks.map(formatRatio).join(', ')})`).join('; ')} raw's throughput.`,
          '',
        ]
      : []),
    `Targets (issue 18), the default RedisStore row (default options, a plain \`new Redis()\` client) against raw ioredis GET in this run: sequential, paired, ${verdict(pairedDefault?.ratio, TARGETS.paired)}; 100 in flight, ${verdict(inFlightRatio, TARGETS.inFlight)}.`,
    '',
  ].join('\n');
  console.log(`\n${markdown}`);
  console.log(`written to ${writeResult('redis-hit', markdown)}`);
}

await main();
