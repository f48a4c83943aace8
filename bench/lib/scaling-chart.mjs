// Renders the scaling suite's figures (bench/scaling.mjs) as one standalone SVG: small panels
// in a grid, each a line chart with its own axes (linear or log), a marker per measured point
// (with a <title> tooltip) and a legend. Hand-written, no dependencies (like
// samples/hit-rate/svg-chart.ts).

const PANEL_WIDTH = 440;
const PANEL_HEIGHT = 330;
const PLOT = { left: 64, right: 20, top: 74, bottom: 52 };
const HEADER_HEIGHT = 78;
const MARGIN = 16;
const COLUMNS = 3;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';
/** Short lines shown in a free cell of the grid. */
const NOTES = [
  'A flat line: the cost does not grow with the work.',
  'Memory hit: random keys of the whole table, so a big table',
  '  pays CPU-cache misses (Map.get pays them too).',
  '@Invalidate({ allEntries }) bumps a version: O(1).',
  'Recovery: a durable @WriteBehind SIGKILLed with N writes',
  '  journaled; a fresh process replays all N (checked).',
  'Acceptance: writers and redis-server share 2 cores.',
  'Bus: all instances in one process (one event loop).',
  'One run on a shared 2-core VM: compare within a panel.',
];

/** Okabe-Ito hues (colour-blind safe). */
const COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9'];

/**
 * The chart of whichever parts ran.
 * @param results the parts' figures, by part name (as bench/scaling.mjs collects them)
 * @param {{ machine: string, quick?: boolean, big?: boolean }} context
 * @returns an SVG document
 */
export function renderScalingChart(results, { machine, quick = false, big = false }) {
  const panels = scalingPanels(results).filter((p) => p.series.some((s) => s.points.length > 0));
  const columns = Math.max(1, Math.min(COLUMNS, panels.length));
  const rows = Math.max(1, Math.ceil(panels.length / columns));
  const width = MARGIN * 2 + columns * PANEL_WIDTH;
  const height = HEADER_HEIGHT + rows * PANEL_HEIGHT + MARGIN;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="12">`,
    '<title>cachekit: how cost grows with the work</title>',
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    text(width / 2, 30, 'cachekit: how cost grows with the work', { size: 20, anchor: 'middle', weight: 'bold' }),
    text(width / 2, 54, `npm run bench -- scaling${big ? ' --big' : ''}${quick ? ' --quick (smoke run)' : ''}; ${machine}; one run, figures in bench/results/scaling.md`, {
      size: 12,
      anchor: 'middle',
      fill: '#444444',
    }),
  ];
  panels.forEach((p, i) => out.push(panel(p, MARGIN + (i % columns) * PANEL_WIDTH, HEADER_HEIGHT + Math.floor(i / columns) * PANEL_HEIGHT)));
  if (panels.length % columns !== 0) {
    // the notes, in the first free cell of the last row
    const x = MARGIN + (panels.length % columns) * PANEL_WIDTH + 24;
    const y = HEADER_HEIGHT + (rows - 1) * PANEL_HEIGHT + 40;
    out.push('<g data-notes="">', text(x, y, 'Reading it', { size: 13, weight: 'bold' }));
    NOTES.forEach((line, i) => out.push(text(x + (line.startsWith(' ') ? 12 : 0), y + 24 + i * 18, line.trim(), { fill: '#333333', size: 11.5 })));
    out.push('</g>');
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** The panels: title, axes and series ({ label, dashed?, points: [{ x, y, note }] }). */
function scalingPanels(r) {
  const panels = [];
  const valid = (part) => Array.isArray(r[part]);
  const series = (label, points, extra = {}) => ({ label, points: points.filter((p) => Number.isFinite(p.y) && p.y > 0), ...extra });

  if (valid('memory-hit')) {
    const rows = r['memory-hit'];
    const pick = (impl) => rows.filter((x) => x.impl === impl).map((x) => ({ x: x.entries, y: x.nsPerOp, note: `${x.entries} entries: ${Math.round(x.nsPerOp)} ns` }));
    panels.push({
      id: 'memory-hit',
      title: 'Memory hit vs entries held',
      xLabel: 'entries in the MemoryStore (log scale)',
      yLabel: 'ns per hit (random keys)',
      xLog: true,
      yFrom0: true,
      series: [series('@Cacheable hit', pick('cachekit')), series('Map.get, same size and keys', pick('Map.get'), { dashed: true })],
    });
  }
  if (valid('redis-hit')) {
    const rows = r['redis-hit'];
    const pick = (impl, mode) =>
      rows.filter((x) => x.impl === impl && x.mode === mode).map((x) => ({ x: x.entries, y: x.nsPerOp / 1000, note: `${x.entries} keys, ${mode}: ${(x.nsPerOp / 1000).toFixed(1)} µs` }));
    const inFlight = rows.find((x) => x.mode !== 'sequential')?.mode ?? '100 in flight';
    panels.push({
      id: 'redis-hit',
      title: 'Redis hit vs keys',
      xLabel: 'keys in Redis (log scale)',
      yLabel: 'µs per hit (log scale)',
      xLog: true,
      yLog: true,
      series: [
        series('@Cacheable, sequential', pick('cachekit', 'sequential'), { color: COLORS[0] }),
        series('raw GET, sequential', pick('raw GET', 'sequential'), { color: COLORS[0], dashed: true }),
        series(`@Cacheable, ${inFlight}`, pick('cachekit', inFlight), { color: COLORS[1] }),
        series(`raw GET, ${inFlight}`, pick('raw GET', inFlight), { color: COLORS[1], dashed: true }),
      ],
    });
  }
  if (valid('invalidate')) {
    const rows = r.invalidate;
    const pick = (store, field, what) =>
      rows.filter((x) => x.store === store).map((x) => ({ x: x.entries, y: x[field], note: `${store}, ${x.entries} entries, ${what}: ${x[field].toFixed(1)} µs` }));
    panels.push({
      id: 'invalidate',
      title: '@Invalidate({ allEntries }) vs namespace size',
      xLabel: 'entries in the namespace (log scale)',
      yLabel: 'µs, p50 (log scale)',
      xLog: true,
      yLog: true,
      series: [
        series('MemoryStore, invalidate', pick('memory', 'invalidateP50Us', 'invalidate p50'), { color: COLORS[0] }),
        series('RedisStore, invalidate', pick('redis', 'invalidateP50Us', 'invalidate p50'), { color: COLORS[1] }),
        series('MemoryStore, first read after', pick('memory', 'firstReadP50Us', 'first read p50'), { color: COLORS[0], dashed: true }),
        series('RedisStore, first read after', pick('redis', 'firstReadP50Us', 'first read p50'), { color: COLORS[1], dashed: true }),
      ],
    });
  }
  if (valid('recovery')) {
    const rows = r.recovery.filter((x) => !x.skipped);
    const main = rows.filter((x) => x.recovererMaxPending > x.backlog);
    const bounded = rows.filter((x) => x.recovererMaxPending <= x.backlog);
    const at = (x, field, unit, digits) => ({ x: x.backlog, y: x[field], note: `${x.backlog} writes, maxPending ${x.recovererMaxPending}: ${x[field].toFixed(digits)} ${unit}` });
    panels.push({
      id: 'recovery-time',
      title: 'Recovery after SIGKILL vs journal backlog',
      xLabel: 'accepted writes in the journal (log scale)',
      yLabel: 'seconds, spawn to all written',
      xLog: true,
      yFrom0: true,
      series: [
        series('maxPending above the backlog', main.map((x) => at(x, 'seconds', 's', 1))),
        series('maxPending 10,000 (default)', bounded.map((x) => at(x, 'seconds', 's', 1)), { markersOnly: true }),
      ],
    });
    panels.push({
      id: 'recovery-memory',
      title: 'Memory of the recovery vs journal backlog',
      xLabel: 'accepted writes in the journal (log scale)',
      yLabel: 'MiB',
      xLog: true,
      yFrom0: true,
      series: [
        series('peak RSS, recovering process', main.map((x) => at(x, 'peakRssMiB', 'MiB', 0))),
        series('peak RSS, maxPending 10,000', bounded.map((x) => at(x, 'peakRssMiB', 'MiB', 0)), { markersOnly: true }),
        series('Redis used_memory, journal + entries', main.map((x) => at(x, 'redisMiB', 'MiB', 0)), { dashed: true }),
      ],
    });
  }
  if (valid('acceptance')) {
    const rows = r.acceptance;
    panels.push({
      id: 'acceptance',
      title: 'Durable acceptance vs writer processes',
      xLabel: 'writer processes on one Redis (log scale)',
      yLabel: 'calls accepted per second',
      xLog: true,
      yFrom0: true,
      series: [
        series('in all', rows.map((x) => ({ x: x.processes, y: x.perSec, note: `${x.processes} processes: ${Math.round(x.perSec)}/s in all` }))),
        series('per process', rows.map((x) => ({ x: x.processes, y: x.perSec / x.processes, note: `${x.processes} processes: ${Math.round(x.perSec / x.processes)}/s each` })), { dashed: true }),
      ],
    });
  }
  if (valid('bus')) {
    const rows = r.bus;
    const pick = (kind, field, what) =>
      rows.filter((x) => x.kind === kind).map((x) => ({ x: x.instances, y: x[field], note: `${x.instances} instances, ${kind}, ${what}: ${x[field].toFixed(3)} ms` }));
    panels.push({
      id: 'bus',
      title: 'TieredStore bus delay vs instances',
      xLabel: 'TieredStore instances, one writing (log scale)',
      yLabel: 'ms until all applied (log scale)',
      xLog: true,
      yLog: true,
      series: [
        series('write, p50', pick('write', 'lastP50Ms', 'p50'), { color: COLORS[0] }),
        series('write, p99', pick('write', 'lastP99Ms', 'p99'), { color: COLORS[0], dashed: true }),
        series('namespace bump, p50', pick('bump', 'lastP50Ms', 'p50'), { color: COLORS[1] }),
        series('namespace bump, p99', pick('bump', 'lastP99Ms', 'p99'), { color: COLORS[1], dashed: true }),
      ],
    });
  }
  return panels;
}

/** One panel, its top-left corner at (x, y). */
function panel(p, x, y) {
  const left = x + PLOT.left;
  const right = x + PANEL_WIDTH - PLOT.right;
  const top = y + PLOT.top;
  const bottom = y + PANEL_HEIGHT - PLOT.bottom;
  const points = p.series.flatMap((s) => s.points);
  const xs = [...new Set(points.map((q) => q.x))].sort((a, b) => a - b);
  const ys = points.map((q) => q.y);
  const xAxis = axis(xs[0], xs[xs.length - 1], p.xLog, false, xs);
  const yAxis = axis(Math.min(...ys), Math.max(...ys), p.yLog, p.yFrom0);
  const sx = (v) => left + xAxis.position(v) * (right - left);
  const sy = (v) => bottom - yAxis.position(v) * (bottom - top);
  const out = [`<g data-panel="${p.id}">`];
  out.push(text((left + right) / 2 - PLOT.left / 2, y + 22, p.title, { size: 13, anchor: 'middle', weight: 'bold' }));
  out.push(legend(p.series, x + 24, y + 40));
  for (const tick of yAxis.ticks) {
    const ty = round(sy(tick));
    out.push(`<line x1="${left}" y1="${ty}" x2="${right}" y2="${ty}" stroke="#e6e6e6" stroke-width="1"/>`);
    out.push(text(left - 6, ty + 4, shortNumber(tick), { anchor: 'end', fill: '#333333', size: 11 }));
  }
  for (const tick of xAxis.ticks) {
    const tx = round(sx(tick));
    out.push(`<line x1="${tx}" y1="${top}" x2="${tx}" y2="${bottom}" stroke="#f0f0f0" stroke-width="1"/>`);
    out.push(`<line x1="${tx}" y1="${bottom}" x2="${tx}" y2="${bottom + 4}" stroke="#333333" stroke-width="1"/>`);
    out.push(text(tx, bottom + 17, shortNumber(tick), { anchor: 'middle', fill: '#333333', size: 11 }));
  }
  out.push(`<line x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}" stroke="#333333" stroke-width="1.2"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${bottom}" stroke="#333333" stroke-width="1.2"/>`);
  out.push(text((left + right) / 2, bottom + 38, p.xLabel, { anchor: 'middle', fill: '#222222', size: 11 }));
  const midY = round((top + bottom) / 2);
  out.push(`<text x="${x + 16}" y="${midY}" text-anchor="middle" font-size="11" fill="#222222" transform="rotate(-90 ${x + 16} ${midY})">${escape(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = s.color ?? COLORS[i % COLORS.length];
    const coords = s.points.map((q) => `${round(sx(q.x))},${round(sy(q.y))}`).join(' ');
    if (!s.markersOnly) {
      out.push(
        `<polyline data-series="${escape(s.label)}" points="${coords}" fill="none" stroke="${color}" stroke-width="2.2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    for (const q of s.points) {
      const cx = round(sx(q.x));
      const cy = round(sy(q.y));
      const mark = s.markersOnly
        ? `<rect x="${cx - 4.5}" y="${cy - 4.5}" width="9" height="9" fill="#ffffff" stroke="${color}" stroke-width="2">`
        : `<circle cx="${cx}" cy="${cy}" r="3.2" fill="${color}">`;
      out.push(`${mark}<title>${escape(q.note)}</title>${s.markersOnly ? '</rect>' : '</circle>'}`);
    }
  });
  out.push('</g>');
  return out.join('\n');
}

/** A legend of up to two columns under the panel's title. */
function legend(series, x, y) {
  const out = ['<g data-legend="">'];
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const color = s.color ?? COLORS[i % COLORS.length];
    const lx = x + (i % 2) * 200;
    const ly = y + Math.floor(i / 2) * 15;
    if (s.markersOnly) out.push(`<rect x="${lx + 9}" y="${ly - 8}" width="8" height="8" fill="#ffffff" stroke="${color}" stroke-width="2"/>`);
    else out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 24}" y2="${ly - 4}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    out.push(text(lx + 30, ly, s.label, { fill: '#222222', size: 10.5 }));
  });
  out.push('</g>');
  return out.join('\n');
}

/**
 * An axis from `min` to `max`: `position(v)` in [0, 1] and its ticks. Log axes tick at powers
 * of ten (and 2 and 5 times them when the range is short); linear ones at 1-2-5 steps. With
 * `given` (the measured x values), a short list of them are the ticks.
 */
function axis(min, max, log, from0 = false, given) {
  if (log) {
    let lo = Math.floor(Math.log10(min) + 1e-9);
    let hi = Math.ceil(Math.log10(max) - 1e-9);
    if (hi === lo) hi = lo + 1;
    const ticks = given && given.length <= 6 ? given : [];
    if (ticks.length === 0) {
      for (let e = lo; e <= hi; e++) {
        for (const m of hi - lo <= 2 ? [1, 2, 5] : [1]) if (m * 10 ** e <= 10 ** hi) ticks.push(m * 10 ** e);
      }
    } else {
      lo = Math.log10(Math.min(...ticks));
      hi = Math.log10(Math.max(...ticks));
      const pad = hi === lo ? 0.5 : 0.08 * (hi - lo);
      lo -= pad;
      hi += pad;
    }
    return { ticks, position: (v) => (Math.log10(v) - lo) / (hi - lo) };
  }
  if (given && given.length <= 8) {
    const lo = Math.min(...given);
    const hi = Math.max(...given);
    const span = hi - lo || 1;
    const pad = span * 0.08;
    return { ticks: given, position: (v) => (v - lo + pad) / (span + 2 * pad) };
  }
  const lo = from0 ? 0 : min;
  const raw = (max - lo || Math.abs(max) || 1) / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw);
  const start = Math.floor(lo / step) * step;
  const end = Math.ceil(max / step) * step;
  const ticks = [];
  for (let t = start; t <= end + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { ticks, position: (v) => (v - start) / (end - start || 1) };
}

function shortNumber(v) {
  if (v >= 1e6) return `${trim(v / 1e6)}M`;
  if (v >= 1e3) return `${trim(v / 1e3)}k`;
  if (v >= 1 || v === 0) return trim(v);
  return String(Number(v.toPrecision(2)));
}

function trim(v) {
  return String(Number(v.toFixed(v < 10 ? 1 : 0)));
}

function text(x, y, content, { size, anchor, weight, fill } = {}) {
  const attrs = [`x="${round(x)}"`, `y="${round(y)}"`];
  if (size) attrs.push(`font-size="${size}"`);
  if (anchor) attrs.push(`text-anchor="${anchor}"`);
  if (weight) attrs.push(`font-weight="${weight}"`);
  if (fill) attrs.push(`fill="${fill}"`);
  return `<text ${attrs.join(' ')}>${escape(content)}</text>`;
}

function round(v) {
  return Math.round(v * 10) / 10;
}

function escape(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
