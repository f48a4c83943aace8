// One process of the fault campaign (see campaign.test.ts). It configures cachekit on the
// history's store (MemoryStore, RedisStore or TieredStore on the campaign's own redis-server,
// optionally behind the chaos wrapper), then runs `chains` concurrent loops of seeded random
// operations until the orchestrator writes `stop` on its stdin: @Cacheable reads, @WriteThrough
// writes, write-arounds (@Invalidate of the key, the namespace or a tag after a database write),
// plain invalidations of write-behind keys, @WriteBehind writes (durable and not) of the keys its
// slot owns, and runtime.flush(). Every call is appended to its history file (history.ts). On
// `stop` it waits for its calls, closes the runtime and must then exit on its own.
// argv: one JSON WorkerConfig. Role `recoverer`: only replays the durable journal, then closes.
import { Cacheable, Invalidate, WriteBehind, WriteThrough, configureCache, recoverWriteBehind, MemoryStore, RedisStore, TieredStore } from '../../src/index.js';
import type { CacheStore } from '../../src/cache-store.js';
import { CampaignDatabase } from './campaign-database.js';
import { FaultStore, type FaultMode } from './fault-store.js';
import { appendRecord, wallNow, type CallRecord, type HistoryRecord, type Op } from './history.js';
import { Prng } from './prng.js';
import { rowKeys, tagOf, writeBehindKeys, type WorkerConfig } from './worker-config.js';

const config = JSON.parse(process.argv[2]!) as WorkerConfig;
const P = config.p;
const random = new Prng(config.seed);
const record = (r: HistoryRecord) => appendRecord(config.file, r);
process.on('unhandledRejection', (reason) => record({ type: 'event', p: P, what: 'unhandled', t: wallNow(), detail: String((reason as Error)?.stack ?? reason).slice(0, 500) }));

const db = new CampaignDatabase(config.dbUrl, config.prefix);
const pause = () => new Promise<void>((resolve) => (random.chance(0.5) ? setImmediate(resolve) : setTimeout(resolve, random.int(0, 4))));

/** Applies a write-behind write to the database (the method the flusher runs) and records it. */
async function apply(k: string, v: number): Promise<void> {
  await db.apply('wb', k, v, [v, P, wallNow(), 'a']);
  record({ type: 'apply', p: P, k, v, t: wallNow() });
}

const WRITE_BEHIND = {
  namespace: 'wb',
  key: (k: string) => k,
  value: (_k: string, v: number) => v,
  maxPending: config.maxPending,
  backpressure: 'reject' as const,
  // the default attempts and backoff; the cap lowered so a flush after an outage is quick
  retry: { maxBackoffMs: 1000 },
};

class Rows {
  @Cacheable({ namespace: 'row', key: (k: string) => k, tags: (k: string) => [tagOf(k)], ttl: '2m' })
  async readRow(k: string, _call: number): Promise<number> {
    const v = await db.read('row', k);
    await pause();
    return v;
  }

  @Cacheable({ namespace: 'wb', key: (k: string) => k, ttl: '2m' })
  async readWb(k: string, _call: number): Promise<number> {
    const v = await db.read('wb', k);
    await pause();
    return v;
  }

  @WriteThrough({ namespace: 'row', key: (k: string) => k, tags: (k: string) => [tagOf(k)], ttl: '2m' })
  async write(k: string): Promise<number> {
    const v = await db.increment('row', k);
    await pause();
    return v;
  }

  @Invalidate({ namespace: 'row', key: (k: string) => k })
  async writeAroundKey(k: string): Promise<number> {
    const v = await db.increment('row', k);
    await pause();
    return v;
  }

  @Invalidate({ namespace: 'row', allEntries: true })
  async writeAroundNamespace(k: string): Promise<number> {
    const v = await db.increment('row', k);
    await pause();
    return v;
  }

  @Invalidate({ namespace: 'row', tags: (k: string) => [tagOf(k)] })
  async writeAroundTag(k: string): Promise<number> {
    const v = await db.increment('row', k);
    await pause();
    return v;
  }

  @Invalidate({ namespace: 'wb', key: (k: string) => k })
  async dropWriteBehindKey(_k: string): Promise<void> {}

  @Invalidate({ namespace: 'wb', allEntries: true })
  async dropWriteBehindNamespace(_k: string): Promise<void> {}

  // default journal settings: a restarted writer must replay a dead process's writes at once, not after claimIdleMs
  @WriteBehind({ ...WRITE_BEHIND, durable: true, batch: { size: 10, intervalMs: 40 } })
  async writeDurable(k: string, v: number): Promise<void> {
    await apply(k, v);
  }

  // a TTL shorter than the batch interval: the entry expires while the write is still queued
  @WriteBehind({ ...WRITE_BEHIND, durable: false, ttl: 25, batch: { size: 10, intervalMs: 60 } })
  async writeVolatile(k: string, v: number): Promise<void> {
    await apply(k, v);
  }
}

function buildStore(): { store: CacheStore; chaos?: FaultStore } {
  const redis = () =>
    new RedisStore({
      connection: { host: '127.0.0.1', port: config.cachePort!, retryStrategy: () => 100 },
      timeoutMs: config.timeoutMs,
    });
  const base: CacheStore =
    config.store === 'memory'
      ? new MemoryStore({ maxEntries: config.l1Tiny ? 3 : 1000 })
      : config.store === 'redis'
        ? redis()
        : new TieredStore({ l1: new MemoryStore({ maxEntries: config.l1Tiny ? 3 : 1000 }), l2: redis() });
  if (!config.chaos) return { store: base };
  const chaos = new FaultStore(base, config.timeoutMs, () => random.next());
  return { store: chaos, chaos };
}

const errors = new Map<string, number>();
const { store, chaos } = buildStore();
const runtime = configureCache({
  store,
  prefix: config.prefix,
  ttl: '2m',
  onError: (error, context) => {
    const code = (error as { code?: string }).code ?? (error as Error).name ?? 'other';
    errors.set(code, (errors.get(code) ?? 0) + 1);
    // a write or invalidation the shared store did not take: other processes may see it late (check-history.ts)
    if ((context.operation === 'write' || context.operation === 'invalidate') && context.key !== undefined) {
      record({ type: 'event', p: P, what: 'storeError', t: wallNow(), key: context.key, detail: `${context.operation} ${code}` });
    }
  },
});
runtime.on('deadLetter', ({ method, key, error }) =>
  record({ type: 'event', p: P, what: 'deadLetter', t: wallNow(), detail: `${method} ${key} ${(error as Error)?.message ?? error}` }),
);
const rows = new Rows();

let maxHeld = 0;
const sampler = setInterval(() => (maxHeld = Math.max(maxHeld, runtime.writeBehind?.size ?? 0)), 10);

let stopping = false;
let callNo = 0;
const inFlight = new Map<number, { op: Op; k?: string; s: number }>();
const locked = new Set<string>();

/** Runs one call and records it. */
async function call(op: Op, fields: Partial<CallRecord>, run: () => Promise<number | void>): Promise<{ ok: boolean; v?: number; e: number }> {
  const i = ++callNo;
  const s = wallNow();
  inFlight.set(i, { op, k: fields.k, s });
  let v: number | undefined;
  let ok = true;
  let err: string | undefined;
  try {
    const result = await run();
    if (typeof result === 'number') v = result;
  } catch (error) {
    ok = false;
    err = (error as { code?: string }).code ?? (error as Error).name ?? String(error);
  }
  inFlight.delete(i);
  const e = wallNow();
  record({ type: 'call', p: P, i, op, s, e, ok, ...(err ? { err } : {}), ...fields, ...(v !== undefined && fields.v === undefined ? { v } : {}) });
  return { ok, v, e };
}

const ownKeys = writeBehindKeys(config.slot, config.durable);
const allWriteBehindKeys = config.slots.flatMap((slot) => writeBehindKeys(slot, config.durable)).map((w) => w.k);

async function step(): Promise<void> {
  const op = random.weighted(config.weights);
  if (op === 'read') {
    const ns = allWriteBehindKeys.length && random.chance(0.4) ? 'wb' : 'row';
    const k = ns === 'wb' ? random.pick(allWriteBehindKeys) : random.pick(rowKeys);
    const f = await db.floorsFor(ns, k, P);
    const i = callNo + 1;
    await call('read', { ns, k, f }, () => (ns === 'wb' ? rows.readWb(k, i) : rows.readRow(k, i)));
  } else if (op === 'write' || op === 'inval-key' || op === 'inval-ns' || op === 'inval-tag') {
    const k = random.pick(rowKeys);
    const run = { write: rows.write, 'inval-key': rows.writeAroundKey, 'inval-ns': rows.writeAroundNamespace, 'inval-tag': rows.writeAroundTag }[op];
    const { ok, v, e } = await call(op, { ns: 'row', k }, () => run.call(rows, k));
    if (ok && v !== undefined) await db.raise('row', k, [v, P, e, 'w']);
  } else if (op === 'drop-key' || op === 'drop-ns') {
    if (!allWriteBehindKeys.length) return;
    const k = random.pick(allWriteBehindKeys);
    await call(op, { ns: 'wb', k }, () => (op === 'drop-key' ? rows.dropWriteBehindKey(k) : rows.dropWriteBehindNamespace(k)));
  } else if (op === 'wb') {
    const { k, durable } = random.pick(ownKeys);
    if (locked.has(k)) return; // one write of a key at a time per process: call order is value order
    locked.add(k);
    try {
      const v = await db.nextValue('wb', k);
      const { ok, e } = await call('wb', { ns: 'wb', k, v, durable }, () => (durable ? rows.writeDurable(k, v) : rows.writeVolatile(k, v)));
      if (ok) await db.raise('wb', k, [v, P, e, 'l']);
    } finally {
      locked.delete(k);
    }
  } else if (op === 'flush') {
    await call('flush', {}, () => runtime.flush());
  }
}

async function chain(): Promise<void> {
  while (!stopping) {
    await step();
    await pause();
  }
}

/** Seeded chaos windows on this process's store. */
async function chaosLoop(): Promise<void> {
  while (!stopping) {
    await new Promise((resolve) => setTimeout(resolve, random.int(300, 1500)));
    if (stopping) break;
    const mode = random.pick<FaultMode>(['throw', 'stall', 'slow']);
    const s = wallNow();
    const length = random.int(200, 1200);
    record({ type: 'event', p: P, what: 'chaos', t: s, mode, until: s + length });
    chaos!.mode = mode;
    await new Promise((resolve) => setTimeout(resolve, length));
    chaos!.mode = 'ok';
  }
}

async function stop(): Promise<void> {
  record({ type: 'event', p: P, what: 'maxPending', t: wallNow(), n: maxHeld });
  const close = call('close', {}, () => runtime.close());
  await close;
  clearInterval(sampler);
  record({ type: 'event', p: P, what: 'maxPending', t: wallNow(), n: maxHeld, detail: JSON.stringify(Object.fromEntries(errors)) });
  await db.close();
  record({ type: 'event', p: P, what: 'exit', t: wallNow() });
}

async function main(): Promise<void> {
  record({ type: 'event', p: P, what: 'start', t: wallNow() });
  if (config.role === 'recoverer' || config.recover) {
    // recoverWriteBehind resolves with what it claimed; settled() once those replays reached the method
    await call('recover', {}, async () => (await recoverWriteBehind(rows)).claimed);
  }
  if (config.role === 'recoverer') {
    const journal = `${config.prefix}#wb:{Rows.writeDurable}`;
    const client = (store as { client?: { xlen(key: string): Promise<number>; xpending(key: string, group: string): Promise<unknown> } }).client!;
    const deadline = Date.now() + config.recoverMs;
    while (Date.now() < deadline && ((await client.xlen(journal).catch(() => 1)) > 0 || (runtime.writeBehind?.size ?? 0) > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const left = `journal: ${await client.xlen(journal).catch(() => '?')} entries, pending ${JSON.stringify(await client.xpending(journal, 'cachekit').catch(() => '?'))}`;
    record({ type: 'event', p: P, what: 'recovered', t: wallNow(), detail: left });
    await stop();
    return;
  }
  const stopped = new Promise<void>((resolve) => {
    let input = '';
    process.stdin.on('data', (d: Buffer) => {
      input += d.toString();
      if (input.includes('stop')) resolve();
    });
  });
  const chains = Array.from({ length: config.chains }, chain);
  const loops = config.chaos ? [chaosLoop()] : [];
  await stopped;
  stopping = true;
  process.stdin.destroy();
  // calls still running after their bound never settled: record them (G3), then close anyway
  const settled = await Promise.race([
    Promise.all([...chains, ...loops]).then(() => true),
    new Promise<false>((resolve) => setTimeout(() => resolve(false), config.hungAfterMs).unref()),
  ]);
  if (!settled) {
    for (const [i, c] of inFlight) record({ type: 'event', p: P, what: 'hung', t: wallNow(), detail: `call ${i} ${c.op} ${c.k ?? ''} started ${c.s}` });
  }
  await stop();
}

main().catch((error) => {
  record({ type: 'event', p: P, what: 'unhandled', t: wallNow(), detail: `worker failed: ${String((error as Error)?.stack ?? error).slice(0, 500)}` });
  process.exitCode = 1;
});
