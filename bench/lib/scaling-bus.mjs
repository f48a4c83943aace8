// Scaling, part "bus": TieredStore's bus delay with 2, 4 and 8 instances (one writes, the others
// apply its messages), all in one process on one redis-server, each instance with its own
// connections and subscriber; each instance count on its own channel. Rounds as in
// bench/bus-delay.mjs (lib/bus-delay-rounds.mjs), after 50 warm-up rounds.
import { BUS_CHANGES, measureBusRounds, percentile, startTieredInstances } from './bus-delay-rounds.mjs';
import { startBenchRedis } from './redis-server.mjs';

const INSTANCES = [2, 4, 8];

/** @returns rows { instances, kind, rounds, p50Ms, p99Ms, lastP50Ms, lastP99Ms, staleP99 } or { skipped } */
export async function busDelay({ quick }) {
  const rounds = quick ? 200 : 1_000;
  const server = await startBenchRedis('scaling (bus delay)');
  if (server === undefined) return { skipped: 'redis-server not installed' };
  const rows = [];
  try {
    for (const n of INSTANCES) {
      const [writer, ...receivers] = await startTieredInstances({ host: '127.0.0.1', port: server.port }, n, `bench:bus:${n}`);
      try {
        for (const kind of Object.keys(BUS_CHANGES)) {
          await measureBusRounds(writer, receivers, kind, 50); // warm-up
          const { delays, last, staleReads } = await measureBusRounds(writer, receivers, kind, rounds);
          rows.push({
            instances: n,
            kind,
            rounds,
            p50Ms: percentile(delays, 50),
            p99Ms: percentile(delays, 99),
            lastP50Ms: percentile(last, 50),
            lastP99Ms: percentile(last, 99),
            staleP99: percentile(staleReads, 99),
          });
          console.log(`  bus: ${n} instances, ${kind}: ${JSON.stringify(rows[rows.length - 1])}`);
        }
      } finally {
        await Promise.all([writer, ...receivers].map((s) => s.close()));
      }
    }
    return rows;
  } finally {
    server.stop();
  }
}
