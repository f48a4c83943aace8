/**
 * Runs one history of the campaign: starts the cache redis-server and the worker processes,
 * injects the planned faults at their offsets (Redis SIGSTOP/SIGCONT, SIGKILL and restart,
 * maxmemory eviction pressure, the database failing or stalling, SIGKILL of a writer and its
 * restart), closes every process (sometimes with Redis paused), replays what is left in the
 * durable journal with a fresh process, then checks the whole history (check-history.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { CacheServer } from './cache-server.js';
import { CampaignDatabase } from './campaign-database.js';
import { checkHistory, countHistory, type CheckLimits, type ProcessEnd, type Violation } from './check-history.js';
import { readRecords, wallNow, type CallRecord, type FaultWindow, type HistoryRecord } from './history.js';
import type { HistoryPlan, PlannedFault } from './history-plan.js';
import type { WorkerConfig } from './worker-config.js';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(__dirname, 'campaign-worker.ts');

/** RedisStore `timeoutMs` in every worker; the bounds derive from it. */
export const TIMEOUT_MS = 250;
/** `maxPending` of each of the two write-behind methods. */
export const MAX_PENDING = 40;

/** The bounds and delays the checker holds the stores to. */
export const LIMITS: CheckLimits = {
  // the README's TieredStore promise: another instance applies a resolved write within this
  busDelayMs: 50,
  graceMs: 3_000,
  // a call makes at most a handful of store operations in a row, each bounded by timeoutMs
  callBoundMs: 6 * TIMEOUT_MS + 1_500,
  // flush and close also wait for a retry in backoff (maxBackoffMs 1000) after the database is back
  flushBoundMs: 6 * TIMEOUT_MS + 2 * 1_000 + 2_000,
  exitBoundMs: 5_000,
  maxHeld: 2 * MAX_PENDING,
};

/** What one history found. */
export interface HistoryResult {
  plan: HistoryPlan;
  violations: Violation[];
  counts: ReturnType<typeof countHistory>;
  faultsInjected: number;
  ms: number;
  /** Workers' standard error (for a failing history). */
  stderr: string;
  /** ms spent starting the workers, running the calls, closing them, replaying the journal. */
  phases: { start: number; calls: number; close: number; recover: number };
}

interface Running {
  p: string;
  slot: string;
  file: string;
  child: ChildProcess;
  exited: Promise<number>;
  killed: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
/** A deadline that does not keep the test process alive. */
const deadline = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

/** Runs history `plan`, with the database on the Redis at `dbUrl`. */
export async function runHistory(plan: HistoryPlan, dbUrl: string): Promise<HistoryResult> {
  const started = Date.now();
  const prefix = `cmp${plan.seed}x${randomBytes(3).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'cachekit-history-'));
  const server = plan.store === 'memory' ? undefined : new CacheServer();
  server?.start();
  const db = new CampaignDatabase(dbUrl, prefix);
  await db.setSwitch('ok');
  const faults: FaultWindow[] = [];
  const ends: ProcessEnd[] = [];
  const running = new Map<string, Running>();
  let stderr = '';
  const incarnations = new Map<string, number>();

  const spawnWorker = (slot: string, role: WorkerConfig['role'], recover: boolean): Running => {
    const n = (incarnations.get(slot) ?? 0) + 1;
    incarnations.set(slot, n);
    const p = n === 1 ? slot : `${slot}#${n}`;
    const file = join(dir, `${p}.jsonl`);
    const config: WorkerConfig = {
      role,
      p,
      slot,
      slots: plan.slots,
      seed: (plan.workerSeeds[slot] ?? plan.seed) + n * 7919,
      store: plan.store,
      cachePort: server?.port,
      dbUrl,
      prefix,
      file,
      chains: plan.chains,
      durable: plan.store !== 'memory',
      l1Tiny: plan.l1Tiny,
      chaos: plan.chaosSlots.includes(slot),
      timeoutMs: TIMEOUT_MS,
      maxPending: MAX_PENDING,
      recover,
      recoverMs: 4_000,
      hungAfterMs: LIMITS.callBoundMs + 1_000,
      weights: { read: 45, write: 10, 'inval-key': 6, 'inval-ns': 2, 'inval-tag': 4, 'drop-key': 3, 'drop-ns': 1, wb: 22, flush: 1 },
    };
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(config)], { cwd: ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + `[${p}] ${d.toString()}`).slice(-8_000)));
    const exited = new Promise<number>((resolve) => child.on('exit', () => resolve(wallNow())));
    const run: Running = { p, slot, file, child, exited, killed: false };
    running.set(p, run);
    return run;
  };

  /** Waits until a worker recorded its start (its runtime is configured). */
  const startedUp = async (run: Running, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!readRecords(run.file).some((r) => r.type === 'event' && r.what === 'start')) {
      if (Date.now() > deadline) throw new Error(`worker ${run.p} did not start: ${stderr}`);
      await sleep(25);
    }
  };

  const liveOf = (slot: string) => [...running.values()].find((r) => r.slot === slot && !r.killed && r.child.exitCode === null && r.child.signalCode === null);

  let filler: Redis | undefined;
  /** Injects a fault; returns what ends it, and the process it hit (writer-kill). */
  const inject = async (fault: PlannedFault): Promise<{ clear: () => Promise<void>; p?: string }> => {
    switch (fault.kind) {
      case 'redis-pause':
        server!.pause();
        return { clear: async () => server!.resume() };
      case 'redis-kill':
        server!.kill();
        return { clear: async () => server!.start() };
      case 'maxmemory': {
        server!.cli('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
        const used = Number(/used_memory:(\d+)/.exec(server!.cli('INFO', 'memory'))?.[1] ?? 0);
        server!.cli('CONFIG', 'SET', 'maxmemory', String(used + 256 * 1024));
        filler = new Redis({ port: server!.port, host: '127.0.0.1', lazyConnect: false, maxRetriesPerRequest: 1 });
        let stop = false;
        const fill = (async () => {
          for (let i = 0; !stop; i++) {
            await filler!.set(`${prefix}:filler:${i}`, randomBytes(2048)).catch(() => undefined);
            if (i % 20 === 0) await sleep(1);
          }
        })();
        return {
          clear: async () => {
            stop = true;
            await fill;
            filler!.disconnect();
            server!.cli('CONFIG', 'SET', 'maxmemory', '0');
            server!.cli('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
          },
        };
      }
      case 'db-fail':
      case 'db-stall':
        await db.setSwitch(fault.kind === 'db-fail' ? 'fail' : 'stall');
        return { clear: () => db.setSwitch('ok') };
      case 'writer-kill': {
        const victim = liveOf(fault.slot!);
        if (victim === undefined) return { clear: async () => undefined };
        victim.killed = true;
        victim.child.kill('SIGKILL');
        await victim.exited;
        ends.push({ p: victim.p, how: 'killed' });
        return {
          p: victim.p,
          clear: async () => {
            const next = spawnWorker(fault.slot!, 'worker', true);
            await startedUp(next);
          },
        };
      }
    }
  };

  try {
    const first = plan.slots.map((slot) => spawnWorker(slot, 'worker', false));
    await Promise.all(first.map((run) => startedUp(run)));
    const t0 = wallNow();
    const startMs = Date.now() - started;
    for (const fault of plan.faults) {
      await sleep(t0 + fault.at - wallNow());
      const s = wallNow();
      const { clear, p } = await inject(fault);
      await sleep(s + fault.length - wallNow());
      await clear();
      faults.push({ kind: fault.kind, s, e: wallNow(), ...(p ? { p } : {}) });
    }
    await sleep(t0 + plan.opsMs - wallNow());

    // a writer dies in the middle of a flush: the database stalls its method calls, then SIGKILL
    if (plan.crashAtEnd !== undefined) {
      const victim = liveOf(plan.crashAtEnd);
      if (victim !== undefined) {
        const s = wallNow();
        await db.setSwitch('stall');
        await sleep(300);
        victim.killed = true;
        victim.child.kill('SIGKILL');
        await victim.exited;
        ends.push({ p: victim.p, how: 'killed' });
        await db.setSwitch('ok');
        faults.push({ kind: 'db-stall', s, e: wallNow() }, { kind: 'writer-kill', s: s + 300, e: wallNow(), p: victim.p });
      }
    }

    // close every process (maybe with Redis paused): each must close within its bound and exit on its own
    const closing = wallNow();
    const pausedAt = plan.closeUnderPause ? wallNow() : undefined;
    if (pausedAt !== undefined) server!.pause();
    let outage: Promise<void> | undefined;
    if (plan.outageAtEnd !== undefined) {
      const s = wallNow();
      await db.setSwitch('fail');
      outage = sleep(plan.outageAtEnd).then(async () => {
        await db.setSwitch('ok');
        faults.push({ kind: 'db-fail', s, e: wallNow() });
      });
    }
    const live = [...running.values()].filter((r) => !r.killed);
    await Promise.all(
      live.map(async (run) => {
        run.child.stdin!.end('stop\n');
        const exitedAt = await Promise.race([run.exited, deadline(LIMITS.callBoundMs + 1_000 + LIMITS.flushBoundMs + LIMITS.exitBoundMs + 3_000)]);
        if (exitedAt === undefined) {
          run.child.kill('SIGKILL');
          await run.exited;
          ends.push({ p: run.p, how: 'hung' });
          return;
        }
        const close = readRecords(run.file).find((r): r is CallRecord => r.type === 'call' && r.op === 'close');
        ends.push({ p: run.p, how: 'exited', ...(close ? { exitAfterCloseMs: Math.round(exitedAt - close.e) } : {}) });
      }),
    );
    await outage;
    if (pausedAt !== undefined) {
      server!.resume();
      faults.push({ kind: 'redis-pause', s: pausedAt, e: wallNow() });
    }

    const recovering = wallNow();
    // a fresh process replays whatever the durable journal still holds
    if (server !== undefined) {
      const recoverer = spawnWorker('R', 'recoverer', true);
      const exitedAt = await Promise.race([recoverer.exited, deadline(30_000)]);
      if (exitedAt === undefined) {
        recoverer.child.kill('SIGKILL');
        await recoverer.exited;
        ends.push({ p: recoverer.p, how: 'hung' });
      } else ends.push({ p: recoverer.p, how: 'exited' });
    }

    const phases = { start: startMs, calls: Math.round(closing - t0), close: Math.round(recovering - closing), recover: Math.round(wallNow() - recovering) };
    const rows = await db.rows('wb');
    const records: HistoryRecord[] = [...running.values()].flatMap((run) => readRecords(run.file));
    const violations = checkHistory({
      store: plan.store,
      records,
      faults,
      rows,
      ends,
      limits: LIMITS,
      evicting: plan.faults.some((f) => f.kind === 'maxmemory'),
      origin: t0,
    });
    const chaosWindows = records.filter((r) => r.type === 'event' && r.what === 'chaos').length;
    return { plan, violations, counts: countHistory(records), faultsInjected: faults.length + chaosWindows, ms: Date.now() - started, stderr, phases };
  } finally {
    for (const run of running.values()) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
    filler?.disconnect();
    server?.stop();
    await db.drop().catch(() => undefined);
    await db.close();
    // CAMPAIGN_KEEP=1 keeps the history files (one JSON line per record, per process)
    if (process.env.CAMPAIGN_KEEP) console.log(`history ${plan.seed} kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
