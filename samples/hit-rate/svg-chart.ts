import type { EvictionPolicy } from 'cachekit';
import { POLICY_LABELS, type HitRatePoint, type HitRateReport, type WorkloadHitRates } from './hit-rate-report.js';

/** Line colour of each policy (colour-blind-safe Okabe-Ito hues). */
const POLICY_COLORS: Readonly<Record<EvictionPolicy, string>> = {
  lru: '#d55e00',
  lfu: '#0072b2',
  tinylfu: '#009e73',
};
const CHE_COLOR = '#222222';

interface LineStyle {
  label: string;
  color: string;
  width: number;
  dash?: string;
  roundCaps?: boolean;
}

/** How each reference line is drawn: the model and the two bounds, each its own dash pattern. */
const REFERENCE_LINES: Readonly<Record<'che' | 'opt' | 'bestOnline', LineStyle>> = {
  che: { label: "LRU, Che's approximation", color: CHE_COLOR, width: 1.6, dash: '5 4' },
  opt: { label: 'OPT (Belady, offline)', color: '#000000', width: 1.6, dash: '10 3 2 3' },
  bestOnline: { label: 'best online (top-k, Zipf)', color: '#cc79a7', width: 2.6, dash: '0.5 4.5', roundCaps: true },
};

const PANEL_WIDTH = 420;
const PANEL_HEIGHT = 310;
const PLOT = { left: 58, right: 18, top: 40, bottom: 58 };
const HEADER_HEIGHT = 96;
const MARGIN = 16;
const COLUMNS = 3;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/**
 * Renders a report as a standalone SVG document (hand-written, no dependencies): one panel per
 * workload in a grid, hit rate (0-100%) against cache size (log scale), one polyline per
 * policy with a marker per measured point, Che's approximation of LRU as a dashed path on the
 * Zipf panels, the bounds (Belady's OPT dash-dotted on every panel, the best online policy
 * dotted on the Zipf panels), axes, tick labels, panel titles, a title and a legend.
 *
 * `notes` (short lines of text) go in the first free cell of the grid, or below it.
 *
 * Each policy line is a `<polyline data-workload="..." data-policy="...">`, exactly one per
 * policy per panel (the legend uses `<line>` swatches), and each reference line a `<path>`
 * with `data-model="che"` or `data-bound="opt"` / `data-bound="best-online"`, so the output is
 * easy to check.
 */
export function renderHitRateChart(report: HitRateReport, notes: readonly string[] = []): string {
  const panels = report.workloads.length;
  const columns = Math.max(1, Math.min(COLUMNS, panels));
  const freeCell = notes.length > 0 && panels % columns !== 0;
  const rows = Math.max(1, Math.ceil(panels / columns)) + (notes.length > 0 && !freeCell ? 1 : 0);
  const width = MARGIN * 2 + columns * PANEL_WIDTH;
  const height = HEADER_HEIGHT + rows * PANEL_HEIGHT + MARGIN;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    '<title>Hit rate against cache size, per eviction policy and workload</title>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 30, 'Hit rate vs cache size', { size: 20, anchor: 'middle', weight: 'bold' }),
    text(
      width / 2,
      52,
      `cachekit MemoryStore, ${report.requests.toLocaleString('en-US')} requests per run, first ${report.warmup.toLocaleString('en-US')} not counted`,
      { size: 12, anchor: 'middle', fill: '#444444' },
    ),
  );
  out.push(legend(report, width / 2, 78));
  report.workloads.forEach((workload, index) => {
    const x = MARGIN + (index % columns) * PANEL_WIDTH;
    const y = HEADER_HEIGHT + Math.floor(index / columns) * PANEL_HEIGHT;
    out.push(panel(workload, report.cacheSizes, x, y));
  });
  if (notes.length > 0) {
    const x = MARGIN + (panels % columns) * PANEL_WIDTH + (freeCell ? 24 : PLOT.left);
    const y = HEADER_HEIGHT + Math.floor(panels / columns) * PANEL_HEIGHT + PLOT.top;
    out.push('<g data-notes="">', text(x, y - 14, 'Notes', { size: 13, weight: 'bold' }));
    notes.forEach((line, i) => out.push(text(x, y + 8 + i * 18, line, { fill: '#333333' })));
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** One workload's panel, its top-left corner at (x, y). */
function panel(workload: WorkloadHitRates, cacheSizes: number[], x: number, y: number): string {
  const left = x + PLOT.left;
  const right = x + PANEL_WIDTH - PLOT.right;
  const top = y + PLOT.top;
  const bottom = y + PANEL_HEIGHT - PLOT.bottom;
  const logMin = Math.log10(Math.min(...cacheSizes));
  const logMax = Math.log10(Math.max(...cacheSizes));
  const sx = (size: number): number =>
    logMax === logMin ? (left + right) / 2 : left + ((Math.log10(size) - logMin) / (logMax - logMin)) * (right - left);
  const sy = (rate: number): number => bottom - Math.min(1, Math.max(0, rate)) * (bottom - top);
  const out: string[] = [`<g data-panel="${escape(workload.name)}">`];
  out.push(text((left + right) / 2, y + 24, workload.label, { size: 13, anchor: 'middle', weight: 'bold' }));
  // Horizontal grid and y ticks.
  for (let tick = 0; tick <= 100; tick += 20) {
    const ty = round(sy(tick / 100));
    out.push(`<line x1="${left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="#e3e3e3" stroke-width="1"/>`);
    out.push(text(left - 6, ty + 4, `${tick}%`, { anchor: 'end', fill: '#333333' }));
  }
  // Vertical grid and x ticks at the simulated sizes.
  for (const size of cacheSizes) {
    const tx = round(sx(size));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" stroke="#f0f0f0" stroke-width="1"/>`);
    out.push(`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 4}" stroke="#333333" stroke-width="1"/>`);
    out.push(text(tx, bottom + 17, shortNumber(size), { anchor: 'middle', fill: '#333333', size: 11 }));
  }
  // Axes and their labels.
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333" stroke-width="1.2"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333333" stroke-width="1.2"/>`);
  out.push(text((left + right) / 2, bottom + 38, 'cache size (entries, log scale)', { anchor: 'middle', fill: '#222222' }));
  const midY = (top + bottom) / 2;
  out.push(
    `<text x="${x + 16}" y="${round(midY)}" text-anchor="middle" fill="#222222" transform="rotate(-90 ${x + 16} ${round(midY)})">hit rate</text>`,
  );
  for (const series of workload.series) {
    const color = POLICY_COLORS[series.policy];
    const points = series.points.map((p: HitRatePoint) => `${round(sx(p.cacheSize))},${round(sy(p.hitRate))}`).join(' ');
    out.push(
      `<polyline data-workload="${escape(workload.name)}" data-policy="${series.policy}" points="${points}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"/>`,
    );
    for (const p of series.points) {
      out.push(`<circle cx="${round(sx(p.cacheSize))}" cy="${round(sy(p.hitRate))}" r="3" fill="${color}"><title>${POLICY_LABELS[series.policy]}, ${p.cacheSize} entries: ${(100 * p.hitRate).toFixed(1)}%</title></circle>`);
    }
  }
  // Reference lines on top of the measured ones (Che's lies right on LRU's).
  const path = (attribute: string, line: LineStyle, points: HitRatePoint[]): string => {
    const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'}${round(sx(p.cacheSize))},${round(sy(p.hitRate))}`).join(' ');
    return `<path data-workload="${escape(workload.name)}" ${attribute} d="${d}" fill="none" ${stroke(line)}/>`;
  };
  out.push(path('data-bound="opt"', REFERENCE_LINES.opt, workload.opt));
  if (workload.bestOnline) out.push(path('data-bound="best-online"', REFERENCE_LINES.bestOnline, workload.bestOnline));
  if (workload.che) out.push(path('data-model="che"', REFERENCE_LINES.che, workload.che));
  out.push('</g>');
  return out.join('\n');
}

/** The legend: a swatch and a name per policy, then each reference line that some panel has. */
function legend(report: HitRateReport, centerX: number, y: number): string {
  const items: LineStyle[] = report.policies.map((policy) => ({
    label: POLICY_LABELS[policy],
    color: POLICY_COLORS[policy],
    width: 2.5,
  }));
  if (report.workloads.some((w) => w.che)) items.push(REFERENCE_LINES.che);
  if (report.workloads.some((w) => w.bestOnline)) items.push(REFERENCE_LINES.bestOnline);
  items.push(REFERENCE_LINES.opt);
  const itemWidths = items.map((item) => 34 + item.label.length * 6.6 + 24);
  const total = itemWidths.reduce((a, b) => a + b, 0);
  let x = centerX - total / 2;
  const out: string[] = ['<g data-legend="policies">'];
  items.forEach((item, i) => {
    out.push(`<line x1="${round(x)}" y1="${y - 4}" x2="${round(x + 28)}" y2="${y - 4}" ${stroke(item)}/>`);
    out.push(text(x + 34, y, item.label, { fill: '#222222' }));
    x += itemWidths[i]!;
  });
  out.push('</g>');
  return out.join('\n');
}

/** The stroke attributes of a line style. */
function stroke(style: LineStyle): string {
  const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
  const cap = style.roundCaps ? ' stroke-linecap="round"' : '';
  return `stroke="${style.color}" stroke-width="${style.width}"${dash}${cap}`;
}

interface TextStyle {
  size?: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'bold';
  fill?: string;
}

function text(x: number, y: number, content: string, style: TextStyle = {}): string {
  const attrs = [`x="${round(x)}"`, `y="${round(y)}"`];
  if (style.anchor && style.anchor !== 'start') attrs.push(`text-anchor="${style.anchor}"`);
  if (style.size) attrs.push(`font-size="${style.size}"`);
  if (style.weight) attrs.push(`font-weight="${style.weight}"`);
  attrs.push(`fill="${style.fill ?? '#111111'}"`);
  return `<text ${attrs.join(' ')}>${escape(content)}</text>`;
}

/** 2500 -> "2.5k", 10000 -> "10k", 500 -> "500". */
function shortNumber(n: number): string {
  if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(1)}M`;
  if (n >= 1000) return `${+(n / 1000).toFixed(1)}k`;
  return String(n);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
