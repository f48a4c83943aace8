// Memory per cached entry: 100,000 entries held by each cache, measured as retained heap (V8 heap
// plus ArrayBuffer backing stores, after full garbage collections) in a FRESH Node process per
// row (--expose-gc), so no row inherits another's heap, code or free lists.
//
// Keys and values are those of memory-hit.mjs, 100,000 of them: string ids `product-00000` ...
// and one small object per id `{ id, name, price }` whose `id` is the very string used as the
// key (memory-hit's loader returns the row of the id it was called with). They are created during
// the fill and held by the cache alone, so every figure includes them; the first row shows their
// share on their own. Strings are flat, as strings read from a database or JSON are (a template
// literal makes a rope, which a cache that reads the characters flattens: that would move bytes
// between rows for reasons that have nothing to do with the caches; `--rope-strings` keeps ropes).
//
// Every bounded cache holds exactly 100,000 entries (lru-cache `max`, MemoryStore `maxEntries`),
// so nothing is evicted and preallocated room is room for these entries. Caches are built after
// the baseline reading: what they allocate up front counts. Before the baseline, the same kind of
// cache is warmed on other keys and dropped, so compiled code is not counted.
//
// `--breakdown` (on by default in `npm run bench`, off with --no-breakdown): for the lru-cache and
// cachekit rows, a heap snapshot before and after the fill, diffed by kind of object (a plain
// object named by its property names), shows where the bytes of one entry go.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, formatRatio, machineLine, markdownTable, writeResult } from './lib/report.mjs';

const ENTRIES = Number(process.argv.find((a) => a.startsWith('--entries='))?.slice('--entries='.length) ?? 100_000);
const TTL_MS = 5 * 60_000;
const ROPES = process.argv.includes('--rope-strings');
const quick = process.argv.includes('--quick');
/** Fresh processes per row; the row's figure is their median. */
const RUNS = quick ? 1 : 3;
const BASELINE = 'lru-cache (ttl 5 min)';

/** The rows: each builds its cache and returns `put(id, value)` that caches one entry as a user would. */
const ROWS = [
  { name: 'the ids and values alone', build: async () => arrayRow() },
  { name: 'Map (id → value)', build: async () => mapRow() },
  { name: BASELINE, build: async () => lruRow(), breakdown: true },
  { name: 'minimal hand-written decorator (JSON.stringify key, Map)', build: async () => minimalRow() },
  { name: "Map (cachekit's full key → value): the floor of any store keyed by full keys", build: async () => fullKeyMapRow() },
  { name: 'cachekit @Cacheable(), MemoryStore lru', build: async () => cachekitRow('lru'), cachekit: 'lru', target: 1.1, breakdown: true },
  { name: 'cachekit @Cacheable(), MemoryStore lfu', build: async () => cachekitRow('lfu'), cachekit: 'lfu', target: 1.4, breakdown: true },
  { name: 'cachekit @Cacheable(), MemoryStore tinylfu', build: async () => cachekitRow('tinylfu'), cachekit: 'tinylfu', target: 1.4, breakdown: true },
];

// ---------------------------------------------------------------------------------------------
// Child: one row in this process.

/** The id and value of entry `i`, as memory-hit.mjs builds them (flat strings unless --rope-strings). */
function entryOf(i, prefix = 'product') {
  const rope = `${prefix}-${String(i).padStart(5, '0')}`;
  const name = `Product ${i}`;
  const id = ROPES ? rope : flat(rope);
  return { id, value: { id, name: ROPES ? name : flat(name), price: 100 + i } };
}

/** A flat copy of a string (as a database driver or JSON.parse hands it over). */
function flat(s) {
  return JSON.parse(JSON.stringify(s));
}

/** The ids and values on their own: held by an array of exactly ENTRIES slots, whose 8 bytes a slot are taken off (`own`). */
function arrayRow() {
  const held = new Array(ENTRIES).fill(undefined);
  let next = 0;
  return { holder: held, own: 8, put: (_id, value) => void (held[next++] = value) };
}

function mapRow() {
  const map = new Map();
  return { holder: map, put: (id, value) => void map.set(id, value) };
}

async function lruRow() {
  const { LRUCache } = await import('lru-cache');
  const lru = new LRUCache({ max: ENTRIES, ttl: TTL_MS });
  return { holder: lru, put: (id, value) => void lru.set(id, value) };
}

async function minimalRow() {
  const { minimalCacheable } = await import('./lib/minimal-cacheable.mjs');
  const { decorateMethod } = await import('./lib/apply-decorators.mjs');
  let loaded;
  class MinimalRepo {
    async get(_id) {
      return loaded;
    }
  }
  decorateMethod(MinimalRepo, 'get', minimalCacheable());
  const repo = new MinimalRepo();
  return {
    holder: repo,
    put: async (id, value) => {
      loaded = value;
      await repo.get(id);
    },
  };
}

/** cachekit's full key of `id` for @Cacheable() on CachekitRepo.get (stores/key-layout.ts, stable encoding). */
const fullKey = (id) => flat(`cachekit:CachekitRepo.get:${JSON.stringify(id)}`);

function fullKeyMapRow() {
  const map = new Map();
  return { holder: map, put: (id, value) => void map.set(fullKey(id), value) };
}

/** The class memory-hit.mjs times: @Cacheable() on `get(id)`, which loads the value (a miss fills the cache). */
async function cachekitRepo() {
  const { cachekit } = await import('./lib/cachekit.mjs');
  const { decorateMethod } = await import('./lib/apply-decorators.mjs');
  let loaded;
  class CachekitRepo {
    async get(_id) {
      return loaded;
    }
  }
  decorateMethod(CachekitRepo, 'get', cachekit.Cacheable());
  const repo = new CachekitRepo();
  return {
    repo,
    put: async (id, value) => {
      loaded = value;
      if ((await repo.get(id)) !== value) throw new Error(`cachekit: wrong value for ${id}`);
    },
  };
}

async function cachekitRow(policy) {
  const { cachekit } = await import('./lib/cachekit.mjs');
  const { MemoryStore, configureCache } = cachekit;
  const store = new MemoryStore({ maxEntries: ENTRIES, policy });
  const runtime = configureCache({ store, ttl: TTL_MS });
  const { repo, put } = await cachekitRepo();
  return { holder: [runtime, repo], put, check: () => store.size };
}

/** Warms cachekit's code on a throwaway store (other ids), then empties it. */
async function cachekitWarmup(policy) {
  const { cachekit } = await import('./lib/cachekit.mjs');
  const store = new cachekit.MemoryStore({ maxEntries: 5_000, policy });
  cachekit.configureCache({ store, ttl: TTL_MS });
  const { put } = await cachekitRepo();
  for (let i = 0; i < 5_000; i++) {
    const { id, value } = entryOf(i, 'warm');
    await put(id, value);
  }
  await store.clear();
  // a small default store in its place, so the warmed one is garbage before the baseline
  cachekit.configureCache({ ttl: TTL_MS });
}

/** Fills a cache of the row's kind with other keys, then drops it (its own frame: nothing of it stays reachable). */
async function warmUp(row) {
  if (row.cachekit !== undefined) return cachekitWarmup(row.cachekit);
  const warm = await row.build();
  for (let i = 0; i < 5_000; i++) {
    const { id, value } = entryOf(i, 'warm');
    await warm.put(id, value);
  }
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    globalThis.gc();
  }
}

const retained = () => {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, buffers: m.arrayBuffers };
};

async function child(index, snapshotDir) {
  const row = ROWS[index];
  // Warm-up on other keys, with a cache of the same kind that is dropped before the baseline.
  await warmUp(row);
  await settle();
  const v8 = snapshotDir === undefined ? undefined : await import('node:v8');
  if (v8) v8.writeHeapSnapshot(join(snapshotDir, 'before.heapsnapshot'), { exposeNumericValues: true });
  await settle();
  const before = retained();
  const cache = await (row.cachekit !== undefined ? cachekitRow(row.cachekit) : row.build());
  for (let i = 0; i < ENTRIES; i++) {
    const { id, value } = entryOf(i);
    await cache.put(id, value);
  }
  if (cache.check !== undefined && cache.check() !== ENTRIES) throw new Error(`${row.name}: holds ${cache.check()} entries, not ${ENTRIES}`);
  await settle();
  const after = retained();
  if (v8) v8.writeHeapSnapshot(join(snapshotDir, 'after.heapsnapshot'), { exposeNumericValues: true });
  globalThis.keep = cache.holder;
  const perEntry = (a, b) => (a - b) / ENTRIES;
  const own = cache.own ?? 0;
  process.stdout.write(`${JSON.stringify({ bytes: perEntry(after.heap + after.buffers, before.heap + before.buffers) - own, heap: perEntry(after.heap, before.heap) - own, buffers: perEntry(after.buffers, before.buffers) })}\n`);
}

// ---------------------------------------------------------------------------------------------
// Heap snapshot diff (parent side).

/** Bytes and counts by kind of object in a heap snapshot file. */
function groupSnapshot(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const { node_fields: fields, node_types: nodeTypes, edge_fields: edgeFields, edge_types: edgeTypes } = snap.snapshot.meta;
  const F = fields.length;
  const E = edgeFields.length;
  const types = nodeTypes[0];
  const kinds = edgeTypes[0];
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => fields.indexOf(f));
  const [eType, eName] = ['type', 'name_or_index'].map((f) => edgeFields.indexOf(f));
  const { nodes, edges, strings } = snap;
  const groups = new Map();
  let edge = 0;
  for (let i = 0; i < nodes.length; i += F) {
    const type = types[nodes[i + iType]];
    const count = nodes[i + iEdges];
    let label;
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') {
      label = `${type === 'string' ? 'string' : type} of ${strings[nodes[i + iName]].length} chars`;
    } else if (type === 'number') label = nodes[i + iSize] === 0 ? 'small integer (no heap object)' : 'heap number (a boxed double)';
    else if (type === 'object' && strings[nodes[i + iName]] === 'Object') {
      const names = [];
      for (let e = 0; e < count; e++) {
        const at = edge + e * E;
        const name = strings[edges[at + eName]];
        if (kinds[edges[at + eType]] === 'property' && name !== '__proto__') names.push(name);
      }
      label = `object { ${names.sort().join(', ')} }`;
    } else if (type === 'native' && strings[nodes[i + iName]].includes('ArrayBufferData')) label = 'typed array data';
    else if (type === 'array' && strings[nodes[i + iName]] === '') label = "internal array (a Map's hash table)";
    else if (type === 'array' && strings[nodes[i + iName]] === '(object elements)') label = 'array elements (JS arrays)';
    else label = `${type}: ${strings[nodes[i + iName]] || '(no name)'}`.slice(0, 80);
    edge += count * E;
    const group = groups.get(label) ?? { count: 0, bytes: 0 };
    group.count++;
    group.bytes += nodes[i + iSize];
    groups.set(label, group);
  }
  return groups;
}

/** The groups that grew by at least 0.5 byte per entry between two snapshots. */
function snapshotDiff(dir) {
  const before = groupSnapshot(join(dir, 'before.heapsnapshot'));
  const after = groupSnapshot(join(dir, 'after.heapsnapshot'));
  const lines = [];
  for (const [label, group] of after) {
    const was = before.get(label) ?? { count: 0, bytes: 0 };
    const bytes = (group.bytes - was.bytes) / ENTRIES;
    if (Math.abs(bytes) >= 0.5) lines.push({ label, perEntry: (group.count - was.count) / ENTRIES, bytes });
  }
  return lines.sort((a, b) => b.bytes - a.bytes);
}

/** What the floor row says about the targets (when both it and a cachekit row were measured). */
function floorNote(selected, base) {
  const floor = selected.find(({ row }) => row.name.startsWith("Map (cachekit's full key"))?.row;
  if (floor === undefined || base === undefined) return [];
  return [
    `The floor row holds nothing but cachekit's full keys and the values, in a bare \`Map\` (no generation, version, expiry or order): ${formatRatio(floor.bytes / base)} lru-cache, ` +
      'because lru-cache keys an entry by the id the value already holds. A MemoryStore holds no full key for an entry `@Cacheable` reads by its lone argument: it files the entry under the ' +
      "caller's own string, in the scope of its namespace (a key scope), and builds the full key only when one is asked for; where the bytes go: docs/internals/memory.md.",
    '',
  ];
}

// ---------------------------------------------------------------------------------------------
// Parent: every row in fresh processes, interleaved, then the tables.

function runChild(index, snapshotDir) {
  const args = ['--expose-gc', fileURLToPath(import.meta.url), `--child=${index}`, `--entries=${ENTRIES}`];
  if (ROPES) args.push('--rope-strings');
  if (snapshotDir !== undefined) args.push(`--snapshots=${snapshotDir}`);
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', env: process.env, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`${ROWS[index].name}: child failed (${run.status})\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

async function parent() {
  const { cachekitSource } = await import('./lib/cachekit.mjs');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const selected = ROWS.map((row, index) => ({ row, index })).filter(({ row }) => only === undefined || row.name === BASELINE || new RegExp(only, 'i').test(row.name));
  console.log(`memory-footprint: ${selected.length} rows, ${ENTRIES.toLocaleString('en-US')} entries, ${RUNS} fresh process(es) per row, cachekit from ${cachekitSource}, ${machineLine()}`);
  const runs = new Map(selected.map(({ row }) => [row, []]));
  for (let round = 0; round < RUNS; round++) {
    const order = round % 2 === 0 ? selected : [...selected].reverse();
    for (const { row, index } of order) {
      const result = runChild(index);
      runs.get(row).push(result);
      console.log(`  ${row.name}: ${result.bytes.toFixed(1)} B/entry (heap ${result.heap.toFixed(1)}, ArrayBuffers ${result.buffers.toFixed(1)})`);
    }
  }
  const median = (list) => list.sort((a, b) => a.bytes - b.bytes)[list.length >> 1];
  for (const [row, list] of runs) Object.assign(row, median(list));
  const base = ROWS.find((r) => r.name === BASELINE).bytes;
  const alone = ROWS[0].bytes;

  const table = markdownTable(
    ['implementation', 'bytes/entry', 'of which the cache (beyond ids and values)', 'vs lru-cache (ttl)', 'target'],
    selected.map(({ row }) => [
      row.cachekit ? `**${row.name}**` : row.name,
      formatNumber(row.bytes, 0),
      row === ROWS[0] ? '-' : formatNumber(row.bytes - alone, 0),
      formatRatio(row.bytes / base),
      row.target === undefined ? '' : `<= ${row.target.toFixed(2)}x: ${row.bytes / base <= row.target ? 'met' : '**not met**'}`,
    ]),
  );

  const breakdowns = [];
  if (!process.argv.includes('--no-breakdown')) {
    for (const { row, index } of selected.filter(({ row }) => row.breakdown)) {
      const dir = mkdtempSync(join(tmpdir(), 'cachekit-footprint-'));
      try {
        runChild(index, dir);
        const lines = snapshotDiff(dir);
        console.log(`  breakdown of ${row.name}: ${lines.length} kinds of object`);
        breakdowns.push(
          `#### ${row.name}\n\n` +
            markdownTable(
              ['kind of object (heap snapshot after - before)', 'per entry', 'bytes/entry'],
              lines.map((l) => [l.label.replaceAll('|', '\\|'), l.perEntry.toFixed(2), formatNumber(l.bytes, 1)]),
            ),
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }

  const markdown = [
    '### Memory per entry (`npm run bench`, memory-footprint.mjs)',
    '',
    `${machineLine()}. ${ENTRIES.toLocaleString('en-US')} entries per cache, each row in ${RUNS === 1 ? 'a fresh process' : `${RUNS} fresh processes (median)`} with \`--expose-gc\`: retained V8 heap plus ArrayBuffer data after full collections, after the fill minus before it, per entry. ` +
      `Keys and values as in memory-hit.mjs: ids \`product-00000\`..., values \`{ id, name, price }\` holding the id string, ${ROPES ? 'rope strings (template literals)' : 'flat strings'}; created during the fill and held by the cache alone, so every row includes them (the first row is their share). ` +
      `Bounded caches hold exactly ${ENTRIES.toLocaleString('en-US')} (\`max\` / \`maxEntries\`); what they allocate up front counts. TTL 5 min everywhere it applies.`,
    '',
    table,
    '',
    ...floorNote(selected, base),
    ...(breakdowns.length
      ? ['Where the bytes go (`--breakdown`: heap snapshots before and after the fill, grouped by kind of object; a plain object is named by its properties):', '', ...breakdowns.flatMap((b) => [b, ''])]
      : []),
  ].join('\n');
  console.log(`\n${markdown}`);
  console.log(`written to ${writeResult(ROPES ? 'memory-footprint-ropes' : ENTRIES === 100_000 ? 'memory-footprint' : `memory-footprint-${ENTRIES}`, markdown)}`);
}

const childArg = process.argv.find((a) => a.startsWith('--child='));
if (childArg !== undefined) {
  await child(Number(childArg.slice('--child='.length)), process.argv.find((a) => a.startsWith('--snapshots='))?.slice('--snapshots='.length));
  process.exit(0);
} else {
  await parent();
}
