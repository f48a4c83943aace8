// Scaling, part "acceptance": durable @WriteBehind calls accepted per second, in all, by 1, 2
// and 4 writer processes on one Redis (one journal stream, one consumer group: the same class in
// every process), each with 100 calls in flight and its database held shut (the flusher waits,
// so only the calls and their journal appends run). Four workers start once; a run of n sends
// `go` to the first n at the same moment, and the total is n x writes / (last end - first start).
// Runs of 1, 2 and 4 interleave. Also: the share of one core redis-server used during the runs.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { startBenchRedis } from './redis-server.mjs';
import { startWorker } from './worker-process.mjs';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'durable-write-worker.mjs');
const PROCESSES = [1, 2, 4];
const TIMEOUT_MS = 5 * 60_000;

async function redisCpuSeconds(redis) {
  const info = await redis.info('cpu');
  return Number(/used_cpu_user:([\d.]+)/.exec(info)[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)[1]);
}

/** @returns rows { processes, writesPerProcess, runs, perSec (median), redisCpuShare } or { skipped } */
export async function acceptance({ quick }) {
  const perProcess = quick ? 10_000 : 40_000;
  const runs = quick ? 1 : 3;
  const server = await startBenchRedis('scaling (durable acceptance)');
  if (server === undefined) return { skipped: 'redis-server not installed' };
  const redis = new Redis({ host: '127.0.0.1', port: server.port });
  const maxPending = String(runs * PROCESSES.length * perProcess + 20_000);
  const workers = Array.from({ length: Math.max(...PROCESSES) }, (_, w) =>
    startWorker(WORKER, ['accept', String(server.port), 'acc', String(perProcess), maxPending, String(w * 10_000_000)]),
  );
  try {
    await Promise.all(workers.map((w) => w.waitFor('ready', TIMEOUT_MS)));
    const results = new Map(PROCESSES.map((n) => [n, []]));
    for (let r = 0; r < runs; r++) {
      const order = r % 2 === 0 ? PROCESSES : [...PROCESSES].reverse();
      for (const n of order) {
        const cpu0 = await redisCpuSeconds(redis);
        const wall0 = performance.now();
        const active = workers.slice(0, n);
        const done = active.map((w) => w.waitFor('run', TIMEOUT_MS));
        for (const w of active) w.send('go');
        const lines = await Promise.all(done);
        const cpu = (await redisCpuSeconds(redis)) - cpu0;
        const wall = (performance.now() - wall0) / 1000;
        const spans = lines.map(({ line }) => line.split(' ').slice(1).map(Number));
        const seconds = (Math.max(...spans.map((s) => s[1])) - Math.min(...spans.map((s) => s[0]))) / 1000;
        results.get(n).push({ perSec: (n * perProcess) / seconds, redisCpuShare: cpu / wall });
        console.log(`  acceptance: ${n} process(es), run ${r + 1}: ${Math.round((n * perProcess) / seconds)} calls/s, redis-server busy ${Math.round((100 * cpu) / wall)}% of a core`);
      }
    }
    return PROCESSES.map((n) => {
      const sorted = results.get(n).sort((a, b) => a.perSec - b.perSec);
      const median = sorted[sorted.length >> 1];
      return { processes: n, writesPerProcess: perProcess, runs, perSec: median.perSec, redisCpuShare: median.redisCpuShare, min: sorted[0].perSec, max: sorted[sorted.length - 1].perSec };
    });
  } finally {
    for (const w of workers) w.send('exit');
    await Promise.all(workers.map((w) => Promise.race([w.exited, new Promise((resolve) => setTimeout(resolve, 5_000))])));
    await Promise.all(workers.map((w) => w.kill()));
    redis.disconnect();
    server.stop();
  }
}
