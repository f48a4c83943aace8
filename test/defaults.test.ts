import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CACHEABLE_DEFAULTS, CACHEABLE_MANY_DEFAULTS, CIRCUIT_BREAKER_DEFAULTS, RESILIENT_READ_DEFAULTS, CONFIG_DEFAULTS, INVALIDATE_DEFAULTS, INVALIDATION_BUS_DEFAULTS, MANUAL_SCHEDULER_DEFAULTS,
  MEMORY_STORE_DEFAULTS, REDIS_STORE_DEFAULTS, TIERED_STORE_DEFAULTS, WRITE_BEHIND_DEFAULTS, WRITE_THROUGH_DEFAULTS,
} from '../src/defaults.js';
import { parseDuration } from '../src/duration.js';

// The option tables of the documentation (README.md and the pages under docs/) and the @default
// tags of src/options/ quote the values of src/defaults.ts: this test reads both and fails on any
// value that differs, any row or tag it expects and cannot find, any table heading found on two
// pages, and any literal @default tag that no entry of defaults.ts covers.

const root = join(__dirname, '..');
/** README.md and every page under docs/ (generated docs/api/ excluded), as [path, text]. */
const pages: Array<[string, string]> = ['README.md', ...markdownUnder('docs')].map((p) => [p, readFileSync(join(root, p), 'utf8')]);
const optionsDir = join(root, 'src', 'options');

function markdownUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return path === 'docs/api' ? [] : markdownUnder(path);
    return e.name.endsWith('.md') ? [path] : [];
  });
}

/** A value quoted in prose: a literal, an object of literals (`{ a: 1, b: 'x' }`: its fields), or undefined for words. */
type Quoted = string | number | boolean | { [field: string]: string | number | boolean } | undefined;

/** Words that stand for a value in the documentation. */
const WORDS: Record<string, number> = { unbounded: Infinity };

/**
 * The closing index of the `{` at `start`. With `skipQuotes`, braces inside '...' do not count (a
 * stream name quoted in a default has braces in it); source files are scanned without it (their
 * comments have apostrophes).
 */
function closingBrace(text: string, start: number, skipQuotes = false): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (skipQuotes && c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) break;
      i = end;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  throw new Error(`unbalanced braces in ${text}`);
}

function scalar(token: string): string | number | boolean | undefined {
  if (token.startsWith("'")) return token.slice(1, token.indexOf("'", 1));
  if (token === 'true' || token === 'false') return token === 'true';
  if (token === 'Infinity') return Infinity;
  if (/^-?[\d_]+(\.\d+)?$/.test(token)) return Number(token.replace(/_/g, ''));
  return undefined;
}

/** The value quoted at the start of `text` (backticks removed). */
function quoted(text: string): Quoted {
  const t = text.replace(/`/g, '').trim();
  if (t.startsWith('{')) {
    const body = t.slice(1, closingBrace(t, 0, true));
    const fields: Record<string, string | number | boolean> = {};
    for (const m of body.matchAll(/(\w+):\s*('[^']*'|-?[\d_]+(?:\.\d+)?|true|false|Infinity)/g)) fields[m[1]!] ??= scalar(m[2]!)!;
    return fields;
  }
  const word = /^[a-z]+/i.exec(t)?.[0];
  if (word !== undefined && word in WORDS) return WORDS[word];
  const token = /^('[^']*'|-?[\d_]+(?:\.\d+)?|true|false|Infinity)(?![\w.])/.exec(t)?.[1];
  return token === undefined ? undefined : scalar(token);
}

/** Durations compare by their milliseconds ('1m' and 60000 are one value); other values as they are. */
function normal(value: unknown): unknown {
  if (typeof value === 'string' && /^\d/.test(value)) {
    try {
      return parseDuration(value, 'default');
    } catch {
      return value;
    }
  }
  return value;
}

/** Whether `actual` (as quoted) says `expected`: equal, or for an object every field of `expected` equal. */
function sameValue(actual: Quoted, expected: unknown): boolean {
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object') return false;
    return Object.entries(expected).every(([k, v]) => k in actual && normal(actual[k]) === normal(v));
  }
  return normal(actual) === normal(expected);
}

/** The option tables of the documentation: heading of the section -> option name -> default cell (and meaning). */
function readmeTables(): Map<string, Map<string, { default: string; meaning: string }>> {
  const tables = new Map<string, Map<string, { default: string; meaning: string }>>();
  const pageOf = new Map<string, string>();
  for (const [page, text] of pages) {
    let heading = '';
    let inTable = false;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) {
        heading = line.replace(/^#+\s*/, '');
        inTable = false;
      } else if (/^\| option \| type \| default \| meaning \|$/.test(line)) {
        inTable = true;
        const other = pageOf.get(heading);
        if (other !== undefined && other !== page) throw new Error(`option tables under the heading '${heading}' on ${other} and ${page}: which one is checked?`);
        pageOf.set(heading, page);
        if (!tables.has(heading)) tables.set(heading, new Map());
      } else if (inTable && line.startsWith('|')) {
        const cells = line.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim());
        const name = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
        if (name !== undefined && cells.length >= 4) tables.get(heading)!.set(name, { default: cells[2]!, meaning: cells[3]! });
      } else {
        inTable = false;
      }
    }
  }
  return tables;
}

/** The @default tags of src/options/: `file:Interface.property` -> the text after `@default`. */
function defaultTags(): Map<string, string> {
  const tags = new Map<string, string>();
  for (const file of readdirSync(optionsDir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(optionsDir, file), 'utf8');
    for (const m of source.matchAll(/export interface (\w+)[^{]*\{/g)) {
      const body = source.slice(m.index! + m[0].length - 1, closingBrace(source, m.index! + m[0].length - 1));
      for (const p of body.matchAll(/\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*\n\s*(?:readonly\s+)?(\w+)\??:/g)) {
        const comment = p[1]!.split('\n').map((l) => l.replace(/^\s*\*\s?/, '')).join(' ');
        const at = comment.indexOf('@default');
        if (at >= 0) tags.set(`${file}:${m[1]}.${p[2]}`, comment.slice(at + '@default'.length).trim());
      }
    }
  }
  return tags;
}

/** One default: its value in defaults.ts, the documentation row that quotes it (`readme`: heading and option, on README.md or a docs/ page) and the @default tag that does. */
interface Expectation {
  value: unknown;
  readme?: [heading: string, option: string];
  tag?: string;
}

const expectations: Record<string, Expectation> = {
  'configureCache prefix': { value: CONFIG_DEFAULTS.prefix, readme: ['Configuration', 'prefix'], tag: 'configure-cache.ts:CacheConfig.prefix' },
  'configureCache stores': { value: CONFIG_DEFAULTS.stores, readme: ['Configuration', 'stores'], tag: 'configure-cache.ts:CacheConfig.stores' },
  'configureCache ttl': { value: CONFIG_DEFAULTS.ttl, readme: ['Configuration', 'ttl'], tag: 'configure-cache.ts:CacheConfig.ttl' },
  'configureCache leaseTtl': { value: CONFIG_DEFAULTS.leaseTtl, readme: ['Configuration', 'leaseTtl'], tag: 'configure-cache.ts:CacheConfig.leaseTtl' },
  'configureCache storeTimeout': { value: CONFIG_DEFAULTS.storeTimeout, readme: ['Configuration', 'storeTimeout'], tag: 'configure-cache.ts:CacheConfig.storeTimeout' },

  '@Cacheable ttlJitter': { value: CACHEABLE_DEFAULTS.ttlJitter, readme: ['`@Cacheable(options?)`: cache-aside', 'ttlJitter'], tag: 'cacheable.ts:CacheableOptions.ttlJitter' },
  '@Cacheable cacheNull': { value: CACHEABLE_DEFAULTS.cacheNull, readme: ['`@Cacheable(options?)`: cache-aside', 'cacheNull'], tag: 'cacheable.ts:CacheableOptions.cacheNull' },
  '@Cacheable distributedLock': {
    value: CACHEABLE_DEFAULTS.distributedLock,
    readme: ['`@Cacheable(options?)`: cache-aside', 'distributedLock'],
    tag: 'cacheable.ts:CacheableOptions.distributedLock',
  },
  'resilient reads grace': {
    value: RESILIENT_READ_DEFAULTS.grace,
    readme: ['When the loader is slow or failing', 'grace'],
    tag: 'resilient-reads.ts:ResilientReadOptions.grace',
  },
  'resilient reads graceBackoff': {
    value: RESILIENT_READ_DEFAULTS.graceBackoff,
    readme: ['When the loader is slow or failing', 'graceBackoff'],
    tag: 'resilient-reads.ts:ResilientReadOptions.graceBackoff',
  },
  'resilient reads timeout': {
    value: RESILIENT_READ_DEFAULTS.timeout,
    readme: ['When the loader is slow or failing', 'timeout'],
    tag: 'resilient-reads.ts:ResilientReadOptions.timeout',
  },
  'resilient reads hardTimeout': {
    value: RESILIENT_READ_DEFAULTS.hardTimeout,
    readme: ['When the loader is slow or failing', 'hardTimeout'],
    tag: 'resilient-reads.ts:ResilientReadOptions.hardTimeout',
  },
  'resilient reads refreshAhead': {
    value: RESILIENT_READ_DEFAULTS.refreshAhead,
    readme: ['When the loader is slow or failing', 'refreshAhead'],
    tag: 'resilient-reads.ts:ResilientReadOptions.refreshAhead',
  },
  '@Invalidate mode': { value: INVALIDATE_DEFAULTS.mode, tag: 'invalidate.ts:InvalidateOptions.mode' },
  '@CacheableMany ttlJitter': { value: CACHEABLE_DEFAULTS.ttlJitter, tag: 'cacheable-many.ts:CacheableManyOptions.ttlJitter' },
  '@CacheableMany cacheNull': { value: CACHEABLE_DEFAULTS.cacheNull, tag: 'cacheable-many.ts:CacheableManyOptions.cacheNull' },
  '@CacheableMany result': { value: CACHEABLE_MANY_DEFAULTS.result, tag: 'cacheable-many.ts:CacheableManyOptions.result' },
  'runtime.cache wrap cacheNull': { value: CACHEABLE_DEFAULTS.cacheNull, tag: 'cache-handle.ts:CacheWrapOptions.cacheNull' },
  'runtime.invalidate mode': { value: INVALIDATE_DEFAULTS.mode, tag: 'cache-runtime.ts:InvalidateTarget.mode' },
  '@WriteThrough throwOnCacheError': {
    value: WRITE_THROUGH_DEFAULTS.throwOnCacheError,
    readme: ['`@WriteThrough(options?)`', 'throwOnCacheError'],
    tag: 'write-through.ts:WriteThroughOptions.throwOnCacheError',
  },
  '@Invalidate allEntries': { value: INVALIDATE_DEFAULTS.allEntries, readme: ['`@Invalidate(options)`: eviction and write-around', 'allEntries'], tag: 'invalidate.ts:InvalidateOptions.allEntries' },
  '@Invalidate when': { value: INVALIDATE_DEFAULTS.when, readme: ['`@Invalidate(options)`: eviction and write-around', 'when'], tag: 'invalidate.ts:InvalidateOptions.when' },

  '@WriteBehind batch': { value: WRITE_BEHIND_DEFAULTS.batch, readme: ['`@WriteBehind(options?)`', 'batch'], tag: 'write-behind.ts:WriteBehindOptions.batch' },
  '@WriteBehind concurrency': { value: WRITE_BEHIND_DEFAULTS.concurrency, readme: ['`@WriteBehind(options?)`', 'concurrency'], tag: 'write-behind.ts:WriteBehindOptions.concurrency' },
  '@WriteBehind retry': { value: WRITE_BEHIND_DEFAULTS.retry, readme: ['`@WriteBehind(options?)`', 'retry'], tag: 'write-behind.ts:WriteBehindOptions.retry' },
  '@WriteBehind maxPending': { value: WRITE_BEHIND_DEFAULTS.maxPending, readme: ['`@WriteBehind(options?)`', 'maxPending'], tag: 'write-behind.ts:WriteBehindOptions.maxPending' },
  '@WriteBehind backpressure': { value: WRITE_BEHIND_DEFAULTS.backpressure, readme: ['`@WriteBehind(options?)`', 'backpressure'], tag: 'write-behind.ts:WriteBehindOptions.backpressure' },
  '@WriteBehind durable': { value: WRITE_BEHIND_DEFAULTS.durable, readme: ['`@WriteBehind(options?)`', 'durable'], tag: 'write-behind.ts:WriteBehindOptions.durable' },
  '@WriteBehind drainOnSignal': { value: WRITE_BEHIND_DEFAULTS.drainOnSignal, readme: ['`@WriteBehind(options?)`', 'drainOnSignal'], tag: 'write-behind.ts:WriteBehindOptions.drainOnSignal' },
  '@WriteBehind journal': { value: WRITE_BEHIND_DEFAULTS.journal, readme: ['`@WriteBehind(options?)`', 'journal'] },
  '@WriteBehind journal.group': { value: WRITE_BEHIND_DEFAULTS.journal.group, tag: 'write-behind.ts:WriteBehindJournalOptions.group' },
  '@WriteBehind journal.claimIdleMs': { value: WRITE_BEHIND_DEFAULTS.journal.claimIdleMs, tag: 'write-behind.ts:WriteBehindJournalOptions.claimIdleMs' },
  '@WriteBehind journal.leaseMs': { value: WRITE_BEHIND_DEFAULTS.journal.leaseMs, tag: 'write-behind.ts:WriteBehindJournalOptions.leaseMs' },

  'MemoryStore maxEntries': { value: MEMORY_STORE_DEFAULTS.maxEntries, readme: ['`MemoryStore(options?)`', 'maxEntries'], tag: 'memory-store.ts:MemoryStoreOptions.maxEntries' },
  'MemoryStore maxBytes': { value: MEMORY_STORE_DEFAULTS.maxBytes, readme: ['`MemoryStore(options?)`', 'maxBytes'], tag: 'memory-store.ts:MemoryStoreOptions.maxBytes' },
  'MemoryStore policy': { value: MEMORY_STORE_DEFAULTS.policy, readme: ['`MemoryStore(options?)`', 'policy'], tag: 'memory-store.ts:MemoryStoreOptions.policy' },
  'MemoryStore name': { value: MEMORY_STORE_DEFAULTS.name, readme: ['`MemoryStore(options?)`', 'name'], tag: 'memory-store.ts:MemoryStoreOptions.name' },
  'MemoryStore copyOnRead': { value: MEMORY_STORE_DEFAULTS.copyOnRead, readme: ['`MemoryStore(options?)`', 'copyOnRead'], tag: 'memory-store.ts:MemoryStoreOptions.copyOnRead' },

  'RedisStore timeoutMs': { value: REDIS_STORE_DEFAULTS.timeoutMs, readme: ['`RedisStore(options)`', 'timeoutMs'], tag: 'redis-store.ts:RedisStoreOptions.timeoutMs' },
  'RedisStore maxValueBytes': { value: REDIS_STORE_DEFAULTS.maxValueBytes, readme: ['`RedisStore(options)`', 'maxValueBytes'], tag: 'redis-store.ts:RedisStoreOptions.maxValueBytes' },
  'RedisStore breaker': { value: CIRCUIT_BREAKER_DEFAULTS, readme: ['`RedisStore(options)`', 'breaker'], tag: 'redis-store.ts:RedisStoreOptions.breaker' },
  'RedisStore name': { value: REDIS_STORE_DEFAULTS.name, readme: ['`RedisStore(options)`', 'name'], tag: 'redis-store.ts:RedisStoreOptions.name' },
  'RedisStore trackVersions': { value: REDIS_STORE_DEFAULTS.trackVersions, readme: ['`RedisStore(options)`', 'trackVersions'], tag: 'redis-store.ts:RedisStoreOptions.trackVersions' },
  'CircuitBreaker failureThreshold': { value: CIRCUIT_BREAKER_DEFAULTS.failureThreshold, tag: 'circuit-breaker.ts:CircuitBreakerOptions.failureThreshold' },
  'CircuitBreaker cooldownMs': { value: CIRCUIT_BREAKER_DEFAULTS.cooldownMs, tag: 'circuit-breaker.ts:CircuitBreakerOptions.cooldownMs' },

  'TieredStore l1Ttl': { value: TIERED_STORE_DEFAULTS.l1Ttl, readme: ['`TieredStore(options)`', 'l1Ttl'], tag: 'tiered-store.ts:TieredStoreOptionsOf.l1Ttl' },
  'TieredStore bus': { value: INVALIDATION_BUS_DEFAULTS, readme: ['`TieredStore(options)`', 'bus'], tag: 'tiered-store.ts:TieredStoreOptionsOf.bus' },
  'TieredStore maxMirroredVersions': {
    value: TIERED_STORE_DEFAULTS.maxMirroredVersions,
    readme: ['`TieredStore(options)`', 'maxMirroredVersions'],
    tag: 'tiered-store.ts:TieredStoreOptionsOf.maxMirroredVersions',
  },
  'TieredStore name': { value: TIERED_STORE_DEFAULTS.name, readme: ['`TieredStore(options)`', 'name'], tag: 'tiered-store.ts:TieredStoreOptionsOf.name' },
  'InvalidationBus channel': { value: INVALIDATION_BUS_DEFAULTS.channel, tag: 'invalidation-bus.ts:InvalidationBusOptions.channel' },
  'ManualScheduler now': { value: MANUAL_SCHEDULER_DEFAULTS.now, tag: 'manual-scheduler.ts:ManualSchedulerOptions.now' },
};

describe('defaults: src/defaults.ts, the option tables of README.md and docs/, and the @default tags agree', () => {
  const tables = readmeTables();
  const tags = defaultTags();

  it.each(Object.entries(expectations).filter(([, e]) => e.readme !== undefined))('the docs quote the default of %s', (_name, e) => {
    const [heading, option] = e.readme!;
    const row = tables.get(heading)?.get(option);
    expect(row).toBeDefined();
    const value = quoted(row!.default);
    if (!sameValue(value, e.value)) throw new Error(`docs ${heading} / ${option}: default ${row!.default} quotes ${JSON.stringify(value)}; defaults.ts says ${JSON.stringify(e.value)}`);
  });

  it.each(Object.entries(expectations).filter(([, e]) => e.tag !== undefined))('the @default tag quotes the default of %s', (_name, e) => {
    const tag = tags.get(e.tag!);
    expect(tag).toBeDefined();
    const value = quoted(tag!);
    if (!sameValue(value, e.value)) throw new Error(`${e.tag}: @default ${tag} quotes ${JSON.stringify(value)}; defaults.ts says ${JSON.stringify(e.value)}`);
  });

  it('the @WriteBehind page gives the drain timeout of drainOnSignal that defaults.ts holds', () => {
    const meaning = tables.get('`@WriteBehind(options?)`')?.get('drainOnSignal')?.meaning ?? '';
    expect(/\(default (\d+)\)/.exec(meaning)?.[1]).toBe(String(WRITE_BEHIND_DEFAULTS.drainTimeoutMs));
  });

  it('every @default tag that quotes a value is one of the defaults checked here', () => {
    const checked = new Set(Object.values(expectations).map((e) => e.tag));
    const unchecked = [...tags].filter(([key, text]) => !checked.has(key) && quoted(text) !== undefined).map(([key, text]) => `${key}: @default ${text}`);
    expect(unchecked).toEqual([]);
  });
});
