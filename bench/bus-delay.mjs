// TieredStore's bus delay: how long after a write (or an invalidation) resolved in instance A
// instance B has applied A's message and drops its L1 copy. Two TieredStores with their own
// connections (and bus subscribers) on one private redis-server; A writes, B's bus listener
// records when the message was applied. Also: how long B could still read the old value from
// its L1 after A's call resolved (B polling its L1 synchronously until the copy is gone).
// Figures only: the tests assert the mechanism (test/stores/tiered-store.test.ts,
// test/e2e/tiered-bus.test.ts), never a delay.
import { cachekit, cachekitSource } from './lib/cachekit.mjs';
import { BUS_CHANGES, measureBusRounds, percentile, startTieredInstances } from './lib/bus-delay-rounds.mjs';
import { startBenchRedis } from './lib/redis-server.mjs';
import { formatNumber, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 200 : 2_000;

async function main() {
  if (typeof cachekit.TieredStore !== 'function') {
    console.log('bus-delay: skipped, TieredStore not exported by cachekit yet');
    return;
  }
  const server = await startBenchRedis('bus-delay');
  if (server === undefined) return;
  const [a, b] = await startTieredInstances({ host: '127.0.0.1', port: server.port }, 2);
  try {
    const rows = [];
    for (const kind of ['write', 'bump']) {
      const { delays, staleReads } = await measureBusRounds(a, [b], kind, ROUNDS);
      rows.push([
        BUS_CHANGES[kind].label,
        String(ROUNDS),
        formatNumber(percentile(delays, 50), 3),
        formatNumber(percentile(delays, 99), 3),
        formatNumber(delays[delays.length - 1], 3),
        formatNumber(percentile(staleReads, 99), 0),
      ]);
    }
    const markdown = [
      '### TieredStore bus delay (`npm run bench -- bus`, bus-delay.mjs)',
      '',
      `${machineLine()}; cachekit from ${cachekitSource}; two TieredStores in one process, each with its own connections, on a private loopback redis-server. Delay: from A's call resolving to B having applied A's message (0 when the message was applied before A's call returned to its caller). Stale reads: how many times B's L1 still answered with the old copy (polled once per event-loop turn) after A's call resolved.`,
      '',
      markdownTable(['change in A', 'rounds', 'delay p50 (ms)', 'delay p99 (ms)', 'delay max (ms)', 'stale L1 reads in B after A resolved (p99)'], rows),
      '',
    ].join('\n');
    console.log(`\n${markdown}`);
    console.log(`written to ${writeResult('bus-delay', markdown)}`);
  } finally {
    await a.close();
    await b.close();
  }
}

await main();
