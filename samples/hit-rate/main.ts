/**
 * The hit-rate simulator: `npx tsx samples/hit-rate/main.ts [--svg <path>] [--markdown]`.
 *
 * Replays Zipf (alpha 0.6, 0.8, 1.0), looping-scan and mixed (Zipf + one-off scans) workloads
 * against MemoryStore with each eviction policy (LRU, LFU, W-TinyLFU) over a range of cache
 * sizes, and the bounds: Belady's OPT (offline, with bypass) and, for Zipf, the best online
 * policy (keep the most probable items). Prints the hit rates and each policy's share of each
 * bound, and writes an SVG chart to samples/hit-rate/out/hit-rate.svg (or `--svg <path>`).
 * `--markdown` also prints the share-of-bound table as Markdown, as the README shows it.
 */
import { fileURLToPath } from 'node:url';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatBoundFractionMarkdown, formatBoundFractionTable } from './bound-fraction-table.js';
import { runHitRateSimulation } from './hit-rate-simulator.js';
import { formatHitRateTable } from './hit-rate-table.js';

const { values: args } = parseArgs({ options: { svg: { type: 'string' }, markdown: { type: 'boolean', default: false } } });
const svgPath = args.svg !== undefined ? resolve(args.svg) : fileURLToPath(new URL('./out/hit-rate.svg', import.meta.url));
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
console.log('Each policy as a share of the bounds: % of OPT / % of best online (Zipf only)\n');
console.log(formatBoundFractionTable(report));
if (args.markdown) console.log(formatBoundFractionMarkdown(report));
console.log(`Chart: ${relative(process.cwd(), svgPath) || svgPath}`);
console.log(`Done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
