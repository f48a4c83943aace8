// TieredStore's bus delay: how long after a write (or an invalidation) resolved in instance A
// instance B has applied A's message and drops its L1 copy. Two TieredStores with their own
// connections (and bus subscribers) on one private redis-server; A writes, B's bus listener
// records when the message was applied. Also: how long B could still read the old value from
// its L1 after A's call resolved (B polling its L1 synchronously until the copy is gone).
// Figures only: the tests assert the mechanism (test/stores/tiered-store.test.ts,
// test/e2e/tiered-bus.test.ts), never a delay.
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { cachekit, cachekitSource } from './lib/cachekit.mjs';
import { startBenchRedis } from './lib/redis-server.mjs';
import { formatNumber, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const { MemoryStore, RedisStore, TieredStore } = cachekit;
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 200 : 2_000;

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main() {
  const server = await startBenchRedis('bus-delay');
  if (server === undefined) return;
  const connection = { host: '127.0.0.1', port: server.port };
  const make = () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection }), bus: { channel: 'bench:bus' } });
  const a = make();
  const b = make();
  try {
    while (!a.l1Active || !b.l1Active) await new Promise((resolve) => setTimeout(resolve, 10));
    const ns = 'bench#n:ns';
    const key = 'bench:ns:k';
    const rows = [];
    for (const [kind, change] of [
      ['write (write-through, populate)', (i) => a.write(key, { v: i, g: i + 1 }, 60_000)],
      ['namespace invalidation (bump)', () => a.bump([ns])],
    ]) {
      const delays = [];
      const windows = [];
      for (let i = 0; i < ROUNDS; i++) {
        // B holds a fresh L1 copy of the key
        const [n] = await b.readVersions([ns]);
        await a.l2.write(key, { v: -1, g: 10_000_000 + i, n }, 60_000);
        b.l1.writeSync(key, { v: -1, g: 10_000_000 + i, n }, 60_000);
        let applied = 0;
        const heard = new Promise((resolve) => {
          const off = b.bus.onInvalidation(() => {
            applied = performance.now();
            off();
            resolve();
          });
        });
        await change(i);
        const resolved = performance.now();
        // B's L1 copy, read synchronously as a hit would, until the message dropped it
        let staleReads = 0;
        while (b.readSync(key, [ns]) !== undefined && applied === 0) {
          staleReads++;
          await new Promise((resolve) => setImmediate(resolve));
        }
        await heard;
        delays.push(Math.max(0, applied - resolved));
        windows.push(staleReads);
      }
      delays.sort((x, y) => x - y);
      windows.sort((x, y) => x - y);
      rows.push([
        kind,
        String(ROUNDS),
        formatNumber(percentile(delays, 50), 3),
        formatNumber(percentile(delays, 99), 3),
        formatNumber(delays[delays.length - 1], 3),
        formatNumber(percentile(windows, 99), 0),
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
