// Measures benchmark rows with mitata, interleaved over several rounds so that no row always
// runs first or last (CPU frequency and GC drift hit every row alike). A row's figure is the
// median over rounds of mitata's mean time per sample, divided by the operations per sample.
import { measure } from 'mitata';

/**
 * @typedef {object} Row
 * @property {string} name       shown in the table
 * @property {() => Promise<unknown>} [run] one sample; absent when the row is skipped
 * @property {number} [ops]      operations performed by one `run()`
 * @property {string} [skip]     why the row was not measured
 * @property {Record<string, unknown>} [extra] more columns (filled in by the suite)
 */

/**
 * Runs every measurable row `rounds` times (interleaved) for at least `minCpuMs` each time.
 * @returns the rows with `nsPerOp` (and `opsPerSec`) filled in
 */
export async function measureRows(rows, { rounds = 3, minCpuMs = 300, log = () => {} } = {}) {
  const live = rows.filter((r) => r.skip === undefined);
  for (const row of live) {
    await row.run(); // warm every row (JIT, caches) before any timing
    await row.run();
  }
  const perRound = new Map(live.map((r) => [r, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? live : [...live].reverse();
    for (const row of order) {
      const stats = await measure(row.run, { min_cpu_time: minCpuMs * 1e6, min_samples: 8 });
      perRound.get(row).push(stats.avg / row.ops);
    }
    log(`  round ${round + 1}/${rounds} done`);
  }
  for (const row of live) {
    const values = perRound.get(row).sort((a, b) => a - b);
    row.nsPerOp = values[values.length >> 1];
    row.opsPerSec = 1e9 / row.nsPerOp;
    row.spread = values.length > 1 ? (values[values.length - 1] - values[0]) / row.nsPerOp : 0;
  }
  return rows;
}
