// How cost grows with the work: hit cost against the number of entries (memory, Redis),
// @Invalidate({ allEntries: true }) against the namespace's size, recovery after SIGKILL against
// the journal's backlog, durable acceptance against the number of writer processes, and
// TieredStore's bus delay against the number of instances. Each part runs in its own Node
// process (bench/lib/scaling-*.mjs), so one part's heap, JIT state and Redis do not weigh on
// the next. Writes bench/results/scaling.md (tables) and bench/results/scaling.svg (a chart).
//
// node --expose-gc bench/scaling.mjs [--quick] [--big] [--part=recovery,bus]
//   --quick   smaller sizes, fewer rounds (a smoke run)
//   --big     adds the 1M-write journal backlog (recovery) and a 1M-entry Redis namespace
//             (invalidate): about 6 more minutes here
//   --part=   runs only these parts and prints their figures (the result files stay as they were)
//   --render  measures nothing: rewrites scaling.md and scaling.svg from results/scaling.json
//             (the figures of the last full run), e.g. after a change to the chart
// Figures only: correctness checks here throw (wrong value, missing write), timings never do.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachekitSource } from './lib/cachekit.mjs';
import { formatNumber, formatRatio, machineLine, markdownTable, writeResult } from './lib/report.mjs';
import { renderScalingChart } from './lib/scaling-chart.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const big = argv.includes('--big');
const flag = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

/** Each part: the module that measures it, its export, and (optional) the export listing the sizes measured in a process each. */
const PARTS = {
  'memory-hit': ['scaling-hit.mjs', 'memoryHit', 'memorySizes'],
  'redis-hit': ['scaling-hit.mjs', 'redisHit'],
  invalidate: ['scaling-invalidate.mjs', 'invalidateAll'],
  recovery: ['scaling-recovery.mjs', 'recovery'],
  acceptance: ['scaling-acceptance.mjs', 'acceptance'],
  bus: ['scaling-bus.mjs', 'busDelay'],
};

const runPart = flag('run-part');
if (runPart !== undefined) {
  // a child: measure one part and write its figures as JSON
  const [file, name] = PARTS[runPart];
  const measure = (await import(`./lib/${file}`))[name];
  const size = flag('size');
  const result = await measure({ quick, big, ...(size === undefined ? {} : { sizes: [Number(size)] }) });
  writeFileSync(flag('out'), JSON.stringify(result));
  process.exit(0); // stray handles (a worker's pipes) must not hold the part open
}

const selected = flag('part')?.split(',') ?? Object.keys(PARTS);
for (const name of selected) {
  if (!(name in PARTS)) {
    console.error(`scaling: unknown part '${name}' (known: ${Object.keys(PARTS).join(', ')})`);
    process.exit(2);
  }
}

const JSON_PATH = join(here, 'results', 'scaling.json');
if (argv.includes('--render')) {
  const saved = JSON.parse(readFileSync(JSON_PATH, 'utf8'));
  writeResults(saved.results, saved.seconds, saved.machine, saved.source, saved.flags);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'cachekit-scaling-'));
const results = {};
const seconds = {};
const failed = [];
console.log(`scaling: ${selected.join(', ')}${quick ? ' (--quick)' : ''}${big ? ' (--big)' : ''}; cachekit from ${cachekitSource}, ${machineLine()}`);
try {
  for (const name of selected) {
    console.log(`\n--- scaling: ${name} ---`);
    const started = Date.now();
    const [file, , sizesExport] = PARTS[name];
    const sizes = sizesExport === undefined ? [undefined] : (await import(`./lib/${file}`))[sizesExport]({ quick, big });
    const parts = [];
    for (const size of sizes) {
      const out = join(dir, `${name}-${size ?? 'all'}.json`);
      const run = spawnSync(
        process.execPath,
        [
          '--expose-gc',
          fileURLToPath(import.meta.url),
          `--run-part=${name}`,
          `--out=${out}`,
          ...(size === undefined ? [] : [`--size=${size}`]),
          ...(quick ? ['--quick'] : []),
          ...(big ? ['--big'] : []),
        ],
        { stdio: 'inherit', cwd: here },
      );
      parts.push(run.status === 0 ? JSON.parse(readFileSync(out, 'utf8')) : undefined);
    }
    seconds[name] = (Date.now() - started) / 1000;
    const ok = parts.every((p) => p !== undefined);
    console.log(`--- scaling: ${name} ${ok ? 'done' : 'FAILED'} in ${seconds[name].toFixed(1)} s ---`);
    if (!ok) failed.push(name);
    else results[name] = parts.length === 1 ? parts[0] : parts.flat();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const flags = { quick, big };
if (failed.length || flag('part') !== undefined) {
  console.log(`\n${report(results, seconds, machineLine(), cachekitSource, flags)}`);
  if (failed.length) {
    console.error(`scaling: failed parts: ${failed.join(', ')}; the result files stay as they were`);
    process.exit(1);
  }
  console.log('scaling: a partial --part run; bench/results/scaling.md, .svg and .json stay as they were');
} else {
  writeFileSync(JSON_PATH, `${JSON.stringify({ machine: machineLine(), source: cachekitSource, flags, seconds, results }, null, 1)}\n`);
  writeResults(results, seconds, machineLine(), cachekitSource, flags);
}

/** Writes scaling.md (printed too) and scaling.svg. */
function writeResults(results, seconds, machine, source, flags) {
  const markdown = report(results, seconds, machine, source, flags);
  console.log(`\n${markdown}`);
  console.log(`written to ${writeResult('scaling', markdown)}`);
  const svgPath = join(here, 'results', 'scaling.svg');
  writeFileSync(svgPath, renderScalingChart(results, { machine, ...flags }));
  console.log(`written to ${svgPath}`);
}

/** The markdown of every part that ran. */
function report(r, seconds, machine, source, { quick, big }) {
  const out = [
    '### How cost grows (`npm run bench -- scaling`, scaling.mjs)',
    '',
    `${machine}; cachekit from ${source}${quick ? '; **--quick** (smaller sizes, one round: a smoke run)' : ''}${big ? '; **--big**' : ''}. Each part runs in its own process; the chart is [scaling.svg](scaling.svg), the raw figures [scaling.json](scaling.json). Parts took ${Object.entries(seconds)
      .map(([name, s]) => `${name} ${Math.round(s)} s`)
      .join(', ')}.`,
    '',
  ];
  const skipped = (part) => (r[part]?.skipped ? [`Skipped: ${r[part].skipped}.`, ''] : undefined);

  if (r['memory-hit'] || r['redis-hit']) {
    out.push(
      '#### Hit cost against the number of entries',
      '',
      'Memory: in a process of its own per size, a MemoryStore (LRU) holding exactly that many entries, filled through the decorated method (each entry a miss that loaded and populated: the fill column), then read at 65,536 random keys of the whole table, one awaited call at a time; the peer is an awaited `Map.get` on a `Map` of the same size, read at the same keys. Redis: the keys filled through the decorated method (250 misses in flight: the fill column is wall time per entry then; a second pass writes again any entry whose write missed its deadline), read at random keys (sequential: one call at a time; in flight: 100 outstanding), beside raw ioredis `GET` (and `JSON.parse`) of copies of the same values. Median of interleaved rounds.',
      '',
    );
    const rows = [];
    for (const part of ['memory-hit', 'redis-hit']) {
      const data = r[part];
      if (data === undefined) continue;
      if (data.skipped) {
        rows.push([part, '', '', 'skipped', data.skipped, '', '', '']);
        continue;
      }
      const cachekitRows = data.filter((x) => x.impl === 'cachekit');
      for (const row of cachekitRows) {
        const peer = data.find((x) => x.impl !== 'cachekit' && x.entries === row.entries && x.mode === row.mode);
        const smallest = cachekitRows.find((x) => x.mode === row.mode);
        const memory = row.store === 'memory';
        const time = (ns) => (memory ? `${formatNumber(ns)} ns` : `${formatNumber(ns / 1000, 1)} µs`);
        rows.push([
          memory ? 'MemoryStore' : 'RedisStore',
          formatNumber(row.entries, 0),
          row.mode,
          `**${time(row.nsPerOp)}**`,
          `${time(peer.nsPerOp)} (${peer.impl === 'Map.get' ? '`Map.get`' : 'raw `GET`'})`,
          formatRatio(row.nsPerOp / peer.nsPerOp),
          formatRatio(row.nsPerOp / smallest.nsPerOp),
          row.fillUsPerEntry === undefined ? '' : `${formatNumber(row.fillUsPerEntry, 1)} µs`,
        ]);
      }
    }
    out.push(markdownTable(['store', 'entries', 'concurrency', 'cachekit hit', 'peer at the same size', 'time vs peer', 'time vs the smallest size', 'fill (miss + populate), per entry'], rows), '');
  }

  if (r.invalidate) {
    out.push(
      '#### `@Invalidate({ allEntries: true })` against the size of the namespace',
      '',
      "A namespace filled with N entries through a `@Cacheable` method; then, round after round, `@Invalidate({ namespace, allEntries: true })` is awaited, then one random key of the namespace is read (a miss: the loader runs and the entry is written again). Each round visits every size of one store (MemoryStore's rounds first, then RedisStore's), after 20 warm-up rounds. `allEntries` bumps the namespace's version, so neither should grow with N. Microseconds; the ratio compares the invalidation's p50 with the smallest namespace's. MemoryStore up to 1M entries; RedisStore up to 100k (1M with `--big`: filling Redis through the decorated method takes a minute or two here).",
      '',
    );
    if (skipped('invalidate')) out.push(...skipped('invalidate'));
    else {
      const rows = r.invalidate.map((x) => {
        const smallest = r.invalidate.find((y) => y.store === x.store);
        return [
          x.store === 'memory' ? 'MemoryStore' : 'RedisStore',
          formatNumber(x.entries, 0),
          String(x.reps),
          `**${formatNumber(x.invalidateP50Us, 1)}**`,
          formatNumber(x.invalidateP99Us, 1),
          formatRatio(x.invalidateP50Us / smallest.invalidateP50Us),
          formatNumber(x.firstReadP50Us, 1),
          formatNumber(x.firstReadP99Us, 1),
        ];
      });
      out.push(markdownTable(['store', 'entries in the namespace', 'rounds', 'invalidate p50 (µs)', 'invalidate p99 (µs)', 'p50 vs smallest', 'first read after, p50 (µs)', 'first read after, p99 (µs)'], rows), '');
    }
  }

  if (r.recovery) {
    out.push(
      '#### Recovery after SIGKILL against the journal backlog',
      '',
      "A process with a durable `@WriteBehind` (RedisStore, Redis Stream journal, `batchWith` 1,000-row batches, `maxPending` above the backlog) accepts N writes of distinct keys, 100 in flight, while its database is held shut (its batch call never returns), so every write stays in the journal; it is SIGKILLed by pid. A fresh process with the same class calls `recoverWriteBehind` at startup and replays the journal into an in-memory sink. Time: from the fresh process's spawn (Node's start-up included) until all N writes arrived; peak RSS: its `process.resourceUsage().maxRSS`. Checked each time: exactly N distinct keys arrived, each with its own value, and once the process closed the journal held no entry and no pending delivery. The last row recovers the 100k backlog with the recovering process's `maxPending` at its default (10,000): it claims what it has room for, the rest in later claim passes. Journal settings: the defaults in every process (`claimIdleMs` 30 s: a heartbeat every 10 s re-claiming the held entries in pages of 500; `claimIntervalMs` 1 s: a claim poll looking at 10 pages of 100 pending entries at most), so the figures include the timers' Redis time with the whole backlog held.",
      '',
    );
    if (skipped('recovery')) out.push(...skipped('recovery'));
    else {
      const rows = r.recovery.map((x) =>
        x.skipped
          ? [formatNumber(x.backlog, 0), '', 'skipped', x.skipped, '', '', '', '']
          : [
              formatNumber(x.backlog, 0),
              formatNumber(x.recovererMaxPending, 0),
              `${formatNumber(x.acceptPerSec, 0)}/s`,
              `${formatNumber(x.redisMiB, 0)} MiB`,
              `**${formatNumber(x.seconds, 1)} s**`,
              `${formatNumber(x.perSec, 0)}/s`,
              `**${formatNumber(x.peakRssMiB, 0)} MiB**`,
              `${formatNumber(x.distinct, 0)} distinct of ${formatNumber(x.arrivals, 0)} arrivals; first pass claimed ${formatNumber(x.firstPass, 0)}${x.errors ? `; ${x.errors} errors reported` : ''}`,
            ],
      );
      out.push(
        markdownTable(['backlog (accepted writes)', 'recovering maxPending', 'accepted at (database shut)', 'Redis used_memory after accepting', 'recovery: spawn to all written', 'replayed per second', 'peak RSS of the recovering process', 'check'], rows),
        '',
      );
      if (!r.recovery.some((x) => x.backlog === 1_000_000)) out.push('The 1,000,000-write backlog is opt-in: `npm run bench -- scaling --big` (accepting and recovering it took over 4 minutes here).', '');
    }
  }

  if (r.acceptance) {
    out.push(
      '#### Durable acceptance against the number of writer processes',
      '',
      "Durable `@WriteBehind` calls accepted per second in all, by 1, 2 and 4 processes writing to one Redis (one journal stream and consumer group: the same class in each process), each with 100 calls in flight and its database held shut (only the calls and their journal appends run). The processes start together; the rate is all their calls over the time from the first start to the last end. Median of interleaved runs. On this 2-core machine the writer processes and redis-server share 2 cores, so more processes cannot add CPU: the redis-server column shows how busy it was. Journal timers at their defaults, as in the recovery part (the held entries pile up over the runs).",
      '',
    );
    if (skipped('acceptance')) out.push(...skipped('acceptance'));
    else {
      const one = r.acceptance.find((x) => x.processes === 1);
      const rows = r.acceptance.map((x) => [
        String(x.processes),
        formatNumber(x.writesPerProcess, 0),
        String(x.runs),
        `**${formatNumber(x.perSec, 0)}/s**`,
        `${formatNumber(x.min, 0)}-${formatNumber(x.max, 0)}/s`,
        `${formatNumber(x.perSec / x.processes, 0)}/s`,
        formatRatio(x.perSec / one.perSec),
        `${Math.round(100 * x.redisCpuShare)}%`,
      ]);
      out.push(markdownTable(['writer processes', 'calls per process per run', 'runs', 'accepted in all (median)', 'range over runs', 'per process', 'vs 1 process', 'redis-server CPU (share of one core)'], rows), '');
    }
  }

  if (r.bus) {
    out.push(
      '#### TieredStore bus delay against the number of instances',
      '',
      "One instance writes (or bumps a namespace), the others apply its message and drop their L1 copy; all in one process (each TieredStore with its own connections and subscriber) on one redis-server, one channel per instance count, after 50 warm-up rounds. Delay: from the writer's call resolving to a receiver having applied the message (0 when applied before the call returned). Per receiver: every receiver's delay pooled; until all applied: the largest delay of each round. Stale reads: event-loop turns during which some receiver's L1 still answered with the old copy after the writer's call resolved. Milliseconds. In one process the receivers' messages are handled one after another on one event loop; in separate processes (separate hosts) they would be handled side by side.",
      '',
    );
    if (skipped('bus')) out.push(...skipped('bus'));
    else {
      const rows = r.bus.map((x) => [
        String(x.instances),
        x.kind === 'write' ? 'write' : 'namespace invalidation (bump)',
        String(x.rounds),
        formatNumber(x.p50Ms, 3),
        formatNumber(x.p99Ms, 3),
        `**${formatNumber(x.lastP50Ms, 3)}**`,
        `**${formatNumber(x.lastP99Ms, 3)}**`,
        formatNumber(x.staleP99, 0),
      ]);
      out.push(markdownTable(['instances', 'change', 'rounds', 'per receiver p50', 'per receiver p99', 'until all applied p50', 'until all applied p99', 'stale L1 reads (p99)'], rows), '');
    }
  }
  return out.join('\n');
}
