// Formats benchmark results as markdown and writes them under bench/results/.
import { cpus, totalmem } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), '..', 'results');

/** One line naming the machine and runtime the figures come from. */
export function machineLine() {
  const cpu = cpus();
  return `Node ${process.version}, ${cpu.length} cores (${cpu[0]?.model?.trim() ?? 'unknown CPU'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${new Date().toISOString().slice(0, 10)}`;
}

/** `1234.5` -> `1,235`; small values keep one decimal. */
export function formatNumber(value, digits) {
  if (value === undefined || Number.isNaN(value)) return 'n/a';
  const d = digits ?? (Math.abs(value) < 100 ? 1 : 0);
  return value.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** `0.874` -> `0.87x`. */
export function formatRatio(value) {
  return value === undefined || !Number.isFinite(value) ? 'n/a' : `${value.toFixed(2)}x`;
}

/**
 * A markdown table.
 * @param {string[]} header column titles
 * @param {Array<Array<string>>} lines cells, already formatted
 */
export function markdownTable(header, lines) {
  const out = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const line of lines) out.push(`| ${line.join(' | ')} |`);
  return out.join('\n');
}

/** Writes `bench/results/<name>.md` and returns its path (not for a partial `--only` run). */
export function writeResult(name, markdown) {
  if (process.argv.some((a) => a.startsWith('--only='))) return `nothing (a partial --only run keeps bench/results/${name}.md as it was)`;
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.md`);
  writeFileSync(path, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
  return path;
}
