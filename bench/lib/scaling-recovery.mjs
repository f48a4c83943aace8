// Scaling, part "recovery": a process with a durable @WriteBehind method accepts N writes of
// distinct keys while its database is held shut (every write stays in the Redis Stream journal),
// and is SIGKILLed; a fresh process starts, calls recoverWriteBehind at startup, and replays the
// journal into an in-memory sink. Measured: from the fresh process's spawn until all N writes
// arrived, and its peak RSS (process.resourceUsage().maxRSS). Checked: exactly N distinct keys
// arrived, each with its own value, and the journal is empty once the process closed.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startBenchRedis } from './redis-server.mjs';
import { startWorker } from './worker-process.mjs';

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'durable-write-worker.mjs');
const STREAM = (prefix) => `${prefix}#wb:{Counters.put}`;
/** Longest wait for one step of one backlog (accepting, or recovering, 1M writes takes a minute or two here). */
const STEP_TIMEOUT_MS = 15 * 60_000;

/** One backlog: accept N with the database shut, SIGKILL, recover. */
export async function recoverBacklog(backlog, recovererMaxPending) {
  const server = await startBenchRedis(`scaling (recovery of ${backlog})`);
  if (server === undefined) return { backlog, skipped: 'redis-server not installed' };
  const redis = new Redis({ host: '127.0.0.1', port: server.port });
  const prefix = `rec${backlog}`;
  try {
    const writer = startWorker(WORKER, ['hold', String(server.port), prefix, String(backlog)]);
    const accepted = await writer.waitFor('accepted', STEP_TIMEOUT_MS).catch(async (error) => {
      await writer.kill();
      throw error;
    });
    const acceptMs = Number(accepted.line.split(' ')[2]);
    const redisBytes = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))[1]);
    const journaled = await redis.xlen(STREAM(prefix));
    const killed = await writer.kill();
    if (killed.signal !== 'SIGKILL') throw new Error(`the writer exited with ${JSON.stringify(killed)}, not by SIGKILL`);
    if (journaled !== backlog) throw new Error(`the journal holds ${journaled} entries, not ${backlog}`);

    const args = ['recover', String(server.port), prefix, String(backlog)];
    if (recovererMaxPending !== undefined) args.push(String(recovererMaxPending));
    const recoverer = startWorker(WORKER, args);
    try {
      const flushed = await recoverer.waitFor('flushed', STEP_TIMEOUT_MS);
      const [, , maxRssKiB, arrivals, distinct, wrong, firstPass, errors] = flushed.line.split(' ').map(Number);
      const seconds = (flushed.at - recoverer.startedAt) / 1000;
      await recoverer.waitFor('closed', STEP_TIMEOUT_MS);
      const exit = await recoverer.exited;
      if (exit.code !== 0) throw new Error(`the recovering process exited with ${JSON.stringify(exit)}`);
      if (distinct !== backlog || wrong !== 0) throw new Error(`recovery of ${backlog}: ${distinct} distinct keys arrived (${wrong} with a wrong value)`);
      const left = await redis.xlen(STREAM(prefix));
      const pending = (await redis.xpending(STREAM(prefix), 'cachekit'))[0];
      if (left !== 0 || pending !== 0) throw new Error(`recovery of ${backlog}: ${left} entries left in the journal, ${pending} pending after close`);
      return {
        backlog,
        recovererMaxPending: recovererMaxPending ?? backlog + 10_000,
        acceptPerSec: backlog / (acceptMs / 1000),
        redisMiB: redisBytes / 2 ** 20,
        seconds,
        perSec: backlog / seconds,
        peakRssMiB: (maxRssKiB * 1024) / 2 ** 20,
        arrivals,
        distinct,
        firstPass,
        errors,
      };
    } finally {
      await recoverer.kill();
    }
  } finally {
    redis.disconnect();
    server.stop();
  }
}

/**
 * @param {{ quick: boolean, big: boolean }} flags `--big` adds the 1M backlog
 * @returns rows, one per backlog (and one with the recoverer's maxPending at its default)
 */
export async function recovery({ quick, big }) {
  const backlogs = quick ? [10_000, 50_000] : [10_000, 100_000];
  if (big) backlogs.push(1_000_000);
  const rows = [];
  for (const backlog of backlogs) {
    console.log(`  recovery: ${backlog} writes journaled, then SIGKILL, then a fresh process recovers ...`);
    rows.push(await recoverBacklog(backlog));
    console.log(`    ${JSON.stringify(rows[rows.length - 1])}`);
  }
  // The largest backlog short of --big's again, recovered by a process whose maxPending is the
  // default (10,000): it claims what it has room for, and the rest in later claim passes.
  const largest = quick ? 50_000 : 100_000;
  console.log(`  recovery: ${largest} writes again, recovered with maxPending 10,000 ...`);
  rows.push(await recoverBacklog(largest, 10_000));
  console.log(`    ${JSON.stringify(rows[rows.length - 1])}`);
  return rows;
}
