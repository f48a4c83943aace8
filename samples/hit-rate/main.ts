/**
 * The hit-rate simulator: `npx tsx samples/hit-rate/main.ts`.
 *
 * Replays Zipf (alpha 0.6, 0.8, 1.0), looping-scan and mixed (Zipf + one-off scans) workloads
 * against MemoryStore with each eviction policy (LRU, LFU, W-TinyLFU) over a range of cache
 * sizes, prints a table and writes an SVG chart to samples/hit-rate/out/hit-rate.svg.
 */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import { runHitRateSimulation } from './hit-rate-simulator.js';
import { formatHitRateTable } from './hit-rate-table.js';

const svgPath = fileURLToPath(new URL('./out/hit-rate.svg', import.meta.url));
const started = performance.now();
const interactive = process.stderr.isTTY === true;

const report = runHitRateSimulation({
  svgPath,
  onProgress: (done, total) => {
    if (!interactive) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} replays`);
    if (done === total) process.stderr.write('\n');
  },
});

console.log(
  `Hit rates of MemoryStore eviction policies (${report.requests.toLocaleString('en-US')} requests per run, ` +
    `first ${report.warmup.toLocaleString('en-US')} not counted)\n`,
);
console.log(formatHitRateTable(report));
console.log(`Chart: ${relative(process.cwd(), svgPath) || svgPath}`);
console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
