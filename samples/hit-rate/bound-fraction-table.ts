import type { EvictionPolicy } from 'cachekit';
import { POLICY_LABELS, type HitRateReport } from './hit-rate-report.js';

/** One policy's hit rate at one cache size, and what share of each bound it reaches. */
export interface PolicyBoundFraction {
  policy: EvictionPolicy;
  /** The measured hit rate. */
  hitRate: number;
  /** hitRate / OPT's hit rate (NaN when OPT hits nothing). */
  ofOpt: number;
  /** hitRate / the best online policy's expected hit rate, for the Zipf workloads only. */
  ofBestOnline?: number;
}

/** A row of the fraction-of-bound table: one workload at one cache size. */
export interface BoundFractionRow {
  /** Short workload identifier (`zipf-0.8`, `scan`, `mixed`). */
  workload: string;
  /** Cache capacity in entries. */
  cacheSize: number;
  /** Belady's OPT hit rate. */
  opt: number;
  /** The best online policy's expected hit rate (Zipf workloads only). */
  bestOnline?: number;
  /** One entry per simulated policy, in the report's order. */
  policies: PolicyBoundFraction[];
}

/** Each policy's hit rate as a fraction of OPT and of the best online bound, per workload and cache size. */
export function boundFractions(report: HitRateReport): BoundFractionRow[] {
  return report.workloads.flatMap((workload) =>
    report.cacheSizes.map((cacheSize, i) => {
      const opt = workload.opt[i]!.hitRate;
      const bestOnline = workload.bestOnline?.[i]!.hitRate;
      const policies = workload.series.map((s): PolicyBoundFraction => {
        const hitRate = s.points[i]!.hitRate;
        const fraction: PolicyBoundFraction = { policy: s.policy, hitRate, ofOpt: opt > 0 ? hitRate / opt : NaN };
        if (bestOnline !== undefined) fraction.ofBestOnline = bestOnline > 0 ? hitRate / bestOnline : NaN;
        return fraction;
      });
      const row: BoundFractionRow = { workload: workload.name, cacheSize, opt, policies };
      if (bestOnline !== undefined) row.bestOnline = bestOnline;
      return row;
    }),
  );
}

/**
 * Formats {@link boundFractions} as one plain-text table: a row per workload and cache size,
 * the two bounds, then per policy "% of OPT / % of best online" (the second only for Zipf).
 */
export function formatBoundFractionTable(report: HitRateReport): string {
  const rows = boundFractions(report);
  const headers = ['workload', 'cache', 'OPT', 'best online', ...report.policies.map((p) => POLICY_LABELS[p])];
  const body = rows.map((row) => [row.workload, String(row.cacheSize), ...boundCells(row)]);
  const widths = headers.map((h, c) => Math.max(h.length, ...body.map((cells) => cells[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n') + '\n';
}

/**
 * Formats {@link boundFractions} as a Markdown table (for the README), the workload named on
 * the first row of its group.
 */
export function formatBoundFractionMarkdown(report: HitRateReport): string {
  const rows = boundFractions(report);
  const headers = ['workload', 'cache', 'OPT', 'best online', ...report.policies.map((p) => POLICY_LABELS[p])];
  const out = [`| ${headers.join(' | ')} |`, `|${headers.map((_, c) => (c === 0 ? '---' : '---:')).join('|')}|`];
  rows.forEach((row, r) => {
    const first = r === 0 || rows[r - 1]!.workload !== row.workload;
    out.push(`| ${first ? `\`${row.workload}\`` : ''} | ${row.cacheSize} | ${boundCells(row).join(' | ')} |`);
  });
  return out.join('\n') + '\n';
}

/** The bounds' hit rates, then each policy's "% of OPT / % of best online". */
function boundCells(row: BoundFractionRow): string[] {
  return [
    percent(row.opt, 1),
    row.bestOnline === undefined ? '-' : percent(row.bestOnline, 1),
    ...row.policies.map((p) => (p.ofBestOnline === undefined ? percent(p.ofOpt, 0) : `${percent(p.ofOpt, 0)} / ${percent(p.ofBestOnline, 0)}`)),
  ];
}

function percent(rate: number, digits: number): string {
  return Number.isNaN(rate) ? '-' : `${(100 * rate).toFixed(digits)}%`;
}
