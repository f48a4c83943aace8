// `npm run bench`: installs the benchmark's own dependencies when bench/node_modules is missing,
// then runs each suite in its own Node process, one after the other, and lists the result files.
// Usage: npm run bench [-- [memory|redis|write-behind|bus|resilient-reads|scaling ...] [--quick] [--big]]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const SUITES = {
  memory: 'memory-hit.mjs',
  redis: 'redis-hit.mjs',
  'write-behind': 'write-behind.mjs',
  bus: 'bus-delay.mjs',
  'resilient-reads': 'resilient-reads.mjs',
  scaling: 'scaling.mjs',
};

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('--'));
const names = args.filter((a) => !a.startsWith('--'));
for (const name of names) {
  if (!(name in SUITES)) {
    console.error(`bench: unknown suite '${name}' (known: ${Object.keys(SUITES).join(', ')})`);
    process.exit(2);
  }
}

if (!existsSync(join(here, 'node_modules'))) {
  console.log('bench: installing the benchmark dependencies (bench/package.json) ...');
  // --legacy-peer-deps: bentocache declares ioredis ^5 as a peer; the project uses ioredis 6.
  const install = spawnSync('npm', ['install', '--prefix', here, '--legacy-peer-deps', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

const failed = [];
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`\n=== bench: ${name} (${SUITES[name]}) ===`);
  const started = Date.now();
  // --expose-gc lets mitata collect garbage between measurements.
  const run = spawnSync(process.execPath, ['--expose-gc', join(here, SUITES[name]), ...flags], { stdio: 'inherit', cwd: here });
  console.log(`=== bench: ${name} ${run.status === 0 ? 'done' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s ===`);
  if (run.status !== 0) failed.push(name);
}

console.log(`\nResults: ${join('bench', 'results')}/*.md${failed.length ? `; failed: ${failed.join(', ')}` : ''}`);
process.exit(failed.length ? 1 : 0);
