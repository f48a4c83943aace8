import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EvictionPolicy } from 'cachekit';
import { replayBeladyOpt } from './belady-opt.js';
import { replayTopK, topKHitRatio } from './best-online.js';
import { cheLruHitRatio } from './che.js';
import type { HitRateReport, WorkloadHitRates } from './hit-rate-report.js';
import { replayThroughMemoryStore } from './simulate.js';
import { renderHitRateChart } from './svg-chart.js';
import { mixedWorkload, scanWorkload, zipfProbabilities, zipfWorkload, type Workload } from './workloads.js';

/** Options of {@link runHitRateSimulation}; every one has a default sized for a run of a few seconds. */
export interface HitRateSimulationOptions {
  /** Distinct items of the Zipf and mixed workloads. @default 10_000 */
  items?: number;
  /** Zipf exponents: one workload each. @default [0.6, 0.8, 1.0] */
  alphas?: number[];
  /** Cache sizes (entries) to simulate. @default [50, 100, 250, 500, 1000, 2500, 5000] */
  cacheSizes?: number[];
  /** Requests per workload, warm-up included. @default 300_000 */
  requests?: number;
  /** Requests at the start of each replay that fill the cache and are not counted. @default 100_000 */
  warmup?: number;
  /** Loop length of the scan workload. @default items / 2 */
  scanItems?: number;
  /** Zipf exponent of the mixed workload. @default 0.8 */
  mixedAlpha?: number;
  /** Zipf requests between two one-off scans in the mixed workload. @default 8_000 */
  mixedZipfRun?: number;
  /** Length of each one-off scan in the mixed workload. @default 2_000 */
  mixedScanLength?: number;
  /** Eviction policies to compare. @default ['lru', 'lfu', 'tinylfu'] */
  policies?: EvictionPolicy[];
  /** Seed of the request generators. @default 20_240_601 */
  seed?: number;
  /** Where to write the SVG chart (directories are created); omit for no file. */
  svgPath?: string;
  /** Called after each replay of a policy or of a bound, e.g. to draw progress. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Simulates each eviction policy of MemoryStore over each workload (Zipf for every alpha, a
 * looping scan, Zipf mixed with one-off scans) and each cache size, replaying the same
 * request sequence against a fresh `MemoryStore({ maxEntries: size, policy })` each time.
 * Beside them, the limits: Belady's OPT (offline, with bypass) on every workload, and for the
 * Zipf workloads the best online policy (keep the most probable items), both its expected hit
 * ratio and a replay of it. Writes the SVG chart when `svgPath` is given.
 * @returns the hit rates, the bounds, and Che's approximation of LRU for the Zipf workloads
 */
export function runHitRateSimulation(options: HitRateSimulationOptions = {}): HitRateReport {
  const items = options.items ?? 10_000;
  const alphas = options.alphas ?? [0.6, 0.8, 1.0];
  const cacheSizes = [...(options.cacheSizes ?? [50, 100, 250, 500, 1000, 2500, 5000])].sort((a, b) => a - b);
  const requests = options.requests ?? 300_000;
  const warmup = options.warmup ?? 100_000;
  const scanItems = options.scanItems ?? Math.max(1, Math.floor(items / 2));
  const policies = options.policies ?? ['lru', 'lfu', 'tinylfu'];
  const seed = options.seed ?? 20_240_601;
  if (cacheSizes.length === 0 || cacheSizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`cacheSizes: expected integers >= 1; got ${JSON.stringify(options.cacheSizes)}`);
  }
  if (!(warmup >= 0 && warmup < requests)) throw new RangeError(`warmup: expected 0 <= warmup < requests (${requests}); got ${warmup}`);

  const workloads: { workload: Workload; probabilities?: Float64Array }[] = [];
  alphas.forEach((alpha, i) => {
    workloads.push({
      workload: zipfWorkload({ items, alpha, requests, seed: seed + i }),
      probabilities: zipfProbabilities(items, alpha),
    });
  });
  workloads.push({ workload: scanWorkload({ items: scanItems, requests }) });
  workloads.push({
    workload: mixedWorkload({
      items,
      alpha: options.mixedAlpha ?? 0.8,
      requests,
      seed: seed + alphas.length,
      zipfRun: options.mixedZipfRun ?? 8_000,
      scanLength: options.mixedScanLength ?? 2_000,
    }),
  });

  const zipfCount = workloads.filter((w) => w.probabilities).length;
  const total = (workloads.length * (policies.length + 1) + zipfCount) * cacheSizes.length;
  let done = 0;
  const results: WorkloadHitRates[] = workloads.map(({ workload, probabilities }) => {
    const series = policies.map((policy) => ({
      policy,
      points: cacheSizes.map((cacheSize) => {
        const { hitRate } = replayThroughMemoryStore(workload, policy, cacheSize, warmup);
        options.onProgress?.(++done, total);
        return { cacheSize, hitRate };
      }),
    }));
    const che = probabilities && cacheSizes.map((cacheSize) => ({ cacheSize, hitRate: cheLruHitRatio(probabilities, cacheSize) }));
    const opt = cacheSizes.map((cacheSize) => {
      const { hitRate } = replayBeladyOpt(workload, cacheSize, warmup);
      options.onProgress?.(++done, total);
      return { cacheSize, hitRate };
    });
    const result: WorkloadHitRates = { name: workload.name, label: workload.label, series, opt };
    if (probabilities && che) {
      result.che = che;
      result.bestOnline = cacheSizes.map((cacheSize) => ({ cacheSize, hitRate: topKHitRatio(probabilities, cacheSize) }));
      result.bestOnlineReplayed = cacheSizes.map((cacheSize) => {
        const { hitRate } = replayTopK(workload, probabilities, cacheSize, warmup);
        options.onProgress?.(++done, total);
        return { cacheSize, hitRate };
      });
    }
    return result;
  });

  const report: HitRateReport = { cacheSizes, policies, requests, warmup, workloads: results };
  if (options.svgPath !== undefined) {
    mkdirSync(dirname(options.svgPath), { recursive: true });
    writeFileSync(options.svgPath, renderHitRateChart(report, CHART_NOTES));
    report.svgPath = options.svgPath;
  }
  return report;
}

/** What a reader of the chart should know, shown in the chart's free cell. */
const CHART_NOTES = [
  'Each point: a fresh MemoryStore({ maxEntries: size, policy })',
  'replaying the same requests (seeded, reproducible).',
  "Dashed: Che's approximation of LRU (Zipf panels).",
  'Dash-dot: OPT, knowing the future (may bypass): no',
  'policy can hit more on these requests.',
  'Dotted: keep the k most probable items (Zipf panels):',
  'the most any policy can expect without the future.',
  'Looping scan: LRU and LFU hold nothing useful while',
  'the loop is longer than the cache (their lines coincide).',
  "W-TinyLFU's frequency history spans ~10x the cache,",
  'so a loop much longer than that defeats it too.',
  'Mixed: scan keys are never requested again; LRU lets',
  'them push out popular items, LFU and W-TinyLFU do not.',
];
