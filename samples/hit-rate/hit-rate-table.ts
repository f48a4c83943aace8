import { POLICY_LABELS, type HitRateReport } from './hit-rate-report.js';

/**
 * Formats a report as plain-text tables, one per workload: a row per cache size, a column per
 * policy (hit rate in percent), then for the Zipf workloads Che's approximation of LRU and the
 * best online policy (expected, and replayed on the requests), and last Belady's OPT.
 */
export function formatHitRateTable(report: HitRateReport): string {
  const lines: string[] = [];
  for (const workload of report.workloads) {
    const headers = [
      'cache',
      ...workload.series.map((s) => POLICY_LABELS[s.policy]),
      ...(workload.che ? ['LRU (Che)'] : []),
      ...(workload.bestOnline ? ['online (exp)'] : []),
      ...(workload.bestOnlineReplayed ? ['online (run)'] : []),
      'OPT',
    ];
    const widths = headers.map((h) => Math.max(h.length, 7));
    const row = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
    lines.push(`${workload.label} (${workload.name})`);
    lines.push(row(headers));
    lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
    report.cacheSizes.forEach((size, i) => {
      const cells = [String(size), ...workload.series.map((s) => percent(s.points[i]!.hitRate))];
      if (workload.che) cells.push(percent(workload.che[i]!.hitRate));
      if (workload.bestOnline) cells.push(percent(workload.bestOnline[i]!.hitRate));
      if (workload.bestOnlineReplayed) cells.push(percent(workload.bestOnlineReplayed[i]!.hitRate));
      cells.push(percent(workload.opt[i]!.hitRate));
      lines.push(row(cells));
    });
    lines.push('');
  }
  return lines.join('\n');
}

function percent(rate: number): string {
  return `${(100 * rate).toFixed(1)}%`;
}
