import { relative } from 'node:path';
import type { LatencySummary } from './latency-samples.js';
import type { DemoResult, DemoStart, PatternName, PatternResult } from './run-demo.js';
import { REQUEST_LABELS, REQUEST_MIX, type ShopRequest } from './workload.js';

const n = (value: number) => value.toLocaleString('en-US');
const plural = (count: number, one: string, many: string) => `${n(count)} ${count === 1 ? one : many}`;
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const ms = (value: number) => (value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value >= 0.1 ? value.toFixed(2) : value.toFixed(3));
const latency = (s: LatencySummary) => (s.count === 0 ? 'none' : `p50 ${ms(s.p50)} ms, p99 ${ms(s.p99)} ms`);
const fewer = (withCache: number, without: number) => (without === 0 ? '' : `  (${Math.round((1 - withCache / without) * 100)}% fewer)`);
const path = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
};

/** The lines printed before the run: what runs, on what, with which latency. */
export function formatHeader(result: DemoStart): string {
  const o = result.options;
  const mix = Object.entries(REQUEST_MIX)
    .map(([kind, share]) => `${Math.round(share * 100)}% ${REQUEST_LABELS[kind as ShopRequest['kind']]}`)
    .join(', ');
  return [
    'cachekit demo: a small shop on SQLite, run without a cache and then with cachekit',
    '',
    `  database  SQLite files ${path(result.files.withCache)} (with cachekit) and ${path(result.files.withoutCache)} (without)`,
    `  latency   ${o.latencyMs} ms per database round trip, simulated (--latency=MS or DEMO_LATENCY_MS)`,
    `  store     ${result.store}`,
    `  workload  ${n(o.requests)} requests from ${o.clients} concurrent clients (each pausing ${o.thinkMs} ms between requests);`,
    `            ${n(o.products)} products, ${n(o.users)} users, Zipf popularity (exponent ${o.zipf}), seed ${o.seed}`,
    `            mix: ${mix}`,
    '',
  ].join('\n');
}

function formatPattern(index: number, p: PatternResult, result: DemoResult, name: PatternName): string {
  const lines = [`${index}. ${p.title}: ${p.pattern} (${p.decorators})`];
  const ops = [p.reads ? `${n(p.reads)} reads` : '', p.writes ? `${n(p.writes)} writes` : ''].filter(Boolean).join(', ');
  lines.push(`   calls            ${ops}`);
  lines.push(`   database queries ${n(p.dbQueries.withCache)} with cachekit, ${n(p.dbQueries.withoutCache)} without${fewer(p.dbQueries.withCache, p.dbQueries.withoutCache)}`);
  if (p.reads) {
    lines.push(`   hit rate         ${percent(p.hitRate)} (${n(p.hits)} hits, ${n(p.misses)} misses)`);
    lines.push(`   read latency     hit ${latency(p.readLatency.hit)} | miss ${latency(p.readLatency.miss)}`);
    lines.push(`                    without a cache ${latency(p.readLatency.withoutCache)}`);
  }
  if (p.writes) {
    lines.push(`   write latency    ${latency(p.writeLatency.withCache)} with cachekit | ${latency(p.writeLatency.withoutCache)} without`);
  }
  if (name === 'analytics') {
    const wb = result.writeBehind;
    lines.push(
      `   flushed          views: ${n(wb.viewCalls)} addViews calls merged into ${n(wb.viewUpdates)} counter updates, ` +
        `written in ${plural(wb.viewBatches, 'batch', 'batches')} (recordViews statements), ${n(wb.viewsFlushed)} views`,
    );
    lines.push(
      `                    events: ${n(wb.eventCalls)} trackEvent calls written in ${plural(wb.eventBatches, 'batch', 'batches')} (recordEvents transactions), ${n(wb.eventRowsFlushed)} rows`,
    );
  }
  return lines.join('\n');
}

/** The per-pattern numbers, the totals and the checks, as printed after the run. */
export function formatReport(result: DemoResult): string {
  const names: PatternName[] = ['catalog', 'settings', 'analytics', 'prices'];
  const blocks = names.map((name, i) => formatPattern(i + 1, result.patterns[name], result, name));
  const totalWith = names.reduce((t, name) => t + result.patterns[name].dbQueries.withCache, 0);
  const totalWithout = names.reduce((t, name) => t + result.patterns[name].dbQueries.withoutCache, 0);
  const c = result.checks;
  const mark = (ok: boolean) => (ok ? 'ok    ' : 'FAILED');
  const stats = result.stats;
  return [
    ...blocks.flatMap((block) => [block, '']),
    `Total: ${n(totalWith)} database queries with cachekit, ${n(totalWithout)} without${fewer(totalWith, totalWithout)}.`,
    `       wall time ${(result.wallMs.withCache / 1000).toFixed(2)} s with cachekit (final flush ${ms(result.wallMs.finalFlush)} ms), ` +
      `${(result.wallMs.withoutCache / 1000).toFixed(2)} s without.`,
    `       runtime.stats(): ${n(stats.hits)} hits, ${n(stats.misses)} misses (hit rate ${percent(stats.hitRate)}), ${n(stats.sets)} sets, ` +
      `${n(stats.invalidations)} invalidations, ${n(stats.queued)} writes queued, ${n(stats.errors)} errors`,
    ...(stats.errors > 0
      ? [`       The cache store failed ${n(stats.errors)} times (is Redis up?): those calls fell back to the database, and results stay correct.`]
      : []),
    '',
    'Checks after await runtime.close():',
    `  ${mark(c.eventsInDatabase === c.eventsExpected)} every write-behind event is in the database: ${n(c.eventsInDatabase)} of ${n(c.eventsExpected)}`,
    `  ${mark(c.viewCountsCorrect === c.products)} every product's view count equals its views: ${n(c.viewCountsCorrect)} of ${n(c.products)} products`,
    `  ${mark(c.settingsEqual === c.settingsChecked)} saved settings read back equal the database: ${n(c.settingsEqual)} of ${n(c.settingsChecked)} users ` +
      `(${n(c.settingsFromCache)} from the cache${c.settingsFromCache < c.settingsChecked && stats.errors === 0 ? '; the others raced a read or save of the same user, and write-through drops the key rather than guess which write was last' : ''})`,
    `  ${mark(c.pricesEqual === c.pricesChecked)} repriced products read the database's price: ${n(c.pricesEqual)} of ${n(c.pricesChecked)} ` +
      `(${n(c.pricesReloaded)} loaded from the database, the others were read after their last update and cached again)`,
    '',
  ].join('\n');
}
