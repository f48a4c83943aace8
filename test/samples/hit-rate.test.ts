import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EvictionPolicy } from '../../src/index.js';
import { runHitRateSimulation } from '../../samples/hit-rate/hit-rate-simulator.js';
import type { HitRateReport, WorkloadHitRates } from '../../samples/hit-rate/hit-rate-report.js';
import { formatHitRateTable } from '../../samples/hit-rate/hit-rate-table.js';
import { boundFractions, formatBoundFractionMarkdown, formatBoundFractionTable } from '../../samples/hit-rate/bound-fraction-table.js';
import { topKHitRatio } from '../../samples/hit-rate/best-online.js';
import { zipfProbabilities } from '../../samples/hit-rate/workloads.js';

const CACHE_SIZES = [20, 50, 100, 200, 400];
const SCAN_ITEMS = 1_000;
const dir = mkdtempSync(join(tmpdir(), 'cachekit-hit-rate-'));
const svgPath = join(dir, 'nested', 'hit-rate.svg');
let progressCalls = 0;

const report: HitRateReport = runHitRateSimulation({
  items: 2_000,
  alphas: [0.6, 1.0],
  cacheSizes: CACHE_SIZES,
  requests: 40_000,
  warmup: 10_000,
  scanItems: SCAN_ITEMS,
  mixedZipfRun: 2_000,
  mixedScanLength: 500,
  svgPath,
  onProgress: () => progressCalls++,
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const workload = (name: string): WorkloadHitRates => report.workloads.find((w) => w.name === name)!;
const rates = (name: string, policy: EvictionPolicy): number[] =>
  workload(name).series.find((s) => s.policy === policy)!.points.map((p) => p.hitRate);
const zipfNames = ['zipf-0.6', 'zipf-1.0'];

describe('samples/hit-rate simulator (small parameters)', () => {
  it('simulates every workload x policy x cache size', () => {
    expect(report.workloads.map((w) => w.name)).toEqual(['zipf-0.6', 'zipf-1.0', 'scan', 'mixed']);
    expect(report.policies).toEqual(['lru', 'lfu', 'tinylfu']);
    expect(report.cacheSizes).toEqual(CACHE_SIZES);
    for (const w of report.workloads) {
      expect(w.series.map((s) => s.policy)).toEqual(['lru', 'lfu', 'tinylfu']);
      for (const s of w.series) expect(s.points.map((p) => p.cacheSize)).toEqual(CACHE_SIZES);
    }
    // per size: 3 policies and OPT on each of 4 workloads, the top-k replay on the 2 Zipf ones
    expect(progressCalls).toBe((4 * (3 + 1) + 2) * CACHE_SIZES.length);
  });

  it('gives hit rates within [0, 1], and some hits on every Zipf point', () => {
    for (const w of report.workloads) {
      for (const s of w.series) {
        for (const p of s.points) {
          expect(p.hitRate).toBeGreaterThanOrEqual(0);
          expect(p.hitRate).toBeLessThanOrEqual(1);
          if (w.name.startsWith('zipf')) expect(p.hitRate).toBeGreaterThan(0);
        }
      }
    }
  });

  it.each(zipfNames)('LRU on %s: a bigger cache never has a lower hit rate', (name) => {
    const lru = rates(name, 'lru');
    for (let i = 1; i < lru.length; i++) expect(lru[i]!).toBeGreaterThanOrEqual(lru[i - 1]!);
    expect(lru[lru.length - 1]!).toBeGreaterThan(lru[0]!);
  });

  it.each(zipfNames)("LRU on %s is within 3 points of Che's approximation", (name) => {
    const lru = rates(name, 'lru');
    const che = workload(name).che!.map((p) => p.hitRate);
    lru.forEach((rate, i) => expect(Math.abs(rate - che[i]!)).toBeLessThanOrEqual(0.03));
  });

  it.each(zipfNames)('LFU and W-TinyLFU are at least as good as LRU on %s at every size', (name) => {
    const lru = rates(name, 'lru');
    for (const policy of ['lfu', 'tinylfu'] as const) {
      rates(name, policy).forEach((rate, i) => expect(rate).toBeGreaterThanOrEqual(lru[i]!));
    }
  });

  it('looping scan: LRU and LFU hit nothing while the loop is longer than the cache; W-TinyLFU beats them', () => {
    expect(rates('scan', 'lru')).toEqual([0, 0, 0, 0, 0]);
    expect(rates('scan', 'lfu')).toEqual([0, 0, 0, 0, 0]);
    const tiny = rates('scan', 'tinylfu');
    // A cache of 400 of the 1,000 looping items keeps most of its main space: well above 30%.
    expect(tiny[4]!).toBeGreaterThan(0.3);
    expect(tiny[3]!).toBeGreaterThan(0.1);
    expect(workload('scan').che).toBeUndefined();
  });

  it('mixed Zipf + one-off scans: the frequency policies beat LRU at every size', () => {
    const lru = rates('mixed', 'lru');
    for (const policy of ['lfu', 'tinylfu'] as const) {
      rates('mixed', policy).forEach((rate, i) => expect(rate).toBeGreaterThan(lru[i]!));
    }
  });

  it("OPT is at least every policy's hit rate, and the replayed top-k's, on every workload and size", () => {
    for (const w of report.workloads) {
      const opt = w.opt.map((p) => p.hitRate);
      expect(w.opt.map((p) => p.cacheSize)).toEqual(CACHE_SIZES);
      for (const s of w.series) s.points.forEach((p, i) => expect(opt[i]!).toBeGreaterThanOrEqual(p.hitRate));
      w.bestOnlineReplayed?.forEach((p, i) => expect(opt[i]!).toBeGreaterThanOrEqual(p.hitRate));
    }
    // the looping scan of 1,000 items: OPT keeps `size` of them for good, so hits size / 1,000
    workload('scan').opt.forEach((p) => expect(p.hitRate).toBeCloseTo(p.cacheSize / SCAN_ITEMS, 12));
  });

  it.each(zipfNames)('best online on %s: the sum of the top-k probabilities, and the replay within 4 standard deviations of it', (name) => {
    const alpha = Number(name.slice('zipf-'.length));
    const probabilities = zipfProbabilities(2_000, alpha);
    const w = workload(name);
    w.bestOnline!.forEach((p, i) => {
      expect(p.cacheSize).toBe(CACHE_SIZES[i]);
      expect(p.hitRate).toBe(topKHitRatio(probabilities, p.cacheSize));
      const sd = Math.sqrt((p.hitRate * (1 - p.hitRate)) / (report.requests - report.warmup));
      expect(Math.abs(w.bestOnlineReplayed![i]!.hitRate - p.hitRate)).toBeLessThan(4 * sd);
    });
    expect(workload('scan').bestOnline).toBeUndefined();
    expect(workload('mixed').bestOnline).toBeUndefined();
  });

  it('each policy as a fraction of OPT (every workload) and of best online (Zipf only)', () => {
    const rows = boundFractions(report);
    expect(rows.map((r) => `${r.workload}/${r.cacheSize}`)).toEqual(
      ['zipf-0.6', 'zipf-1.0', 'scan', 'mixed'].flatMap((w) => CACHE_SIZES.map((size) => `${w}/${size}`)),
    );
    for (const row of rows) {
      const w = workload(row.workload);
      const i = CACHE_SIZES.indexOf(row.cacheSize);
      expect(row.opt).toBe(w.opt[i]!.hitRate);
      expect(row.bestOnline).toBe(w.bestOnline?.[i]!.hitRate);
      expect(row.policies.map((p) => p.policy)).toEqual(['lru', 'lfu', 'tinylfu']);
      for (const p of row.policies) {
        expect(p.hitRate).toBe(rates(row.workload, p.policy)[i]);
        expect(p.ofOpt).toBe(p.hitRate / row.opt);
        expect(p.ofOpt).toBeLessThanOrEqual(1);
        expect(p.ofBestOnline).toBe(row.bestOnline === undefined ? undefined : p.hitRate / row.bestOnline);
      }
    }
    const text = formatBoundFractionTable(report).split('\n');
    expect(text[0]!.trim().split(/\s{2,}/)).toEqual(['workload', 'cache', 'OPT', 'best online', 'LRU', 'LFU', 'W-TinyLFU']);
    const first = rows[0]!;
    const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
    expect(text[2]!.trim().split(/\s{2,}/)).toEqual([
      'zipf-0.6',
      '20',
      `${(100 * first.opt).toFixed(1)}%`,
      `${(100 * first.bestOnline!).toFixed(1)}%`,
      ...first.policies.map((p) => `${pct(p.ofOpt)} / ${pct(p.ofBestOnline!)}`),
    ]);
    const markdown = formatBoundFractionMarkdown(report).trimEnd().split('\n');
    expect(markdown).toHaveLength(2 + rows.length);
    expect(markdown[0]).toBe('| workload | cache | OPT | best online | LRU | LFU | W-TinyLFU |');
    const scanRow = rows.findIndex((r) => r.workload === 'scan');
    expect(markdown[2 + scanRow]!.startsWith('| `scan` | 20 | ')).toBe(true);
    expect(markdown[2 + scanRow]!.split(' | ')[3]).toBe('-');
    expect(markdown[3 + scanRow]!.startsWith('|  | 50 | ')).toBe(true);
  });

  it('writes an SVG chart with one polyline per policy per panel, axes and a legend', () => {
    expect(report.svgPath).toBe(svgPath);
    const svg = readFileSync(svgPath, 'utf8');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const polylines = [...svg.matchAll(/<polyline data-workload="([^"]+)" data-policy="([^"]+)" points="([^"]+)"/g)];
    expect(polylines.map((m) => `${m[1]}/${m[2]}`)).toEqual(
      ['zipf-0.6', 'zipf-1.0', 'scan', 'mixed'].flatMap((w) => ['lru', 'lfu', 'tinylfu'].map((p) => `${w}/${p}`)),
    );
    for (const m of polylines) expect(m[3]!.split(' ')).toHaveLength(CACHE_SIZES.length);
    expect(svg.match(/<g data-panel="/g)).toHaveLength(4);
    expect(svg.match(/data-model="che"/g)).toHaveLength(2);
    expect([...svg.matchAll(/<path data-workload="([^"]+)" data-bound="opt" d="([^"]+)"/g)].map((m) => [m[1], m[2]!.split(' ').length])).toEqual(
      ['zipf-0.6', 'zipf-1.0', 'scan', 'mixed'].map((w) => [w, CACHE_SIZES.length]),
    );
    expect([...svg.matchAll(/<path data-workload="([^"]+)" data-bound="best-online"/g)].map((m) => m[1])).toEqual(zipfNames);
    expect(svg.match(/>cache size \(entries, log scale\)</g)).toHaveLength(4);
    expect(svg.match(/>hit rate</g)).toHaveLength(4);
    for (const label of ['>LRU<', '>LFU<', '>W-TinyLFU<', ">LRU, Che's approximation<", '>OPT (Belady, offline)<', '>best online (top-k, Zipf)<']) {
      expect(svg).toContain(label);
    }
  });

  it('formats a table with a row per cache size for every workload', () => {
    const table = formatHitRateTable(report);
    const headers = table.split('\n').filter((l) => l.trimStart().startsWith('cache'));
    expect(headers).toHaveLength(4);
    expect(headers[0]!.trim().split(/\s{2,}/)).toEqual(['cache', 'LRU', 'LFU', 'W-TinyLFU', 'LRU (Che)', 'online (exp)', 'online (run)', 'OPT']);
    expect(headers[2]!.trim().split(/\s{2,}/)).toEqual(['cache', 'LRU', 'LFU', 'W-TinyLFU', 'OPT']);
    const firstRow = table.split('\n').find((l) => l.trimStart().startsWith('20 '))!;
    expect(firstRow.trim().split(/\s+/)[1]).toBe(`${(100 * rates('zipf-0.6', 'lru')[0]!).toFixed(1)}%`);
    expect(firstRow.trim().split(/\s+/)[7]).toBe(`${(100 * workload('zipf-0.6').opt[0]!.hitRate).toFixed(1)}%`);
  });
});
