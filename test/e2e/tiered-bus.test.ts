import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Cross-instance invalidation of TieredStore's L1, with 3 Node processes on one Redis: A writes
 * (write-through, invalidation of the key, invalidation of the namespace), B and C read in a
 * loop. For every round, once A's call has resolved and B (or C) has applied A's bus message,
 * no read that B (or C) starts returns the old value. The delay from A's resolve to the
 * message being applied, and the window in which an old value could still be read, are
 * measured and printed (no timing assertion).
 */
const ROUNDS = 150;
const KINDS = ['write', 'invalidate', 'namespace'] as const;

interface Child {
  child: ChildProcess;
  messages: any[];
  next(match: (m: any) => boolean): Promise<any>;
  exited: Promise<number | null>;
}

function start(role: 'writer' | 'reader', prefix: string, channel: string): Child {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'fixtures', 'bus-worker.ts'), role, process.env.REDIS_URL!, prefix, channel],
    { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const messages: any[] = [];
  const waiters: Array<{ match: (m: any) => boolean; resolve: (m: any) => void }> = [];
  child.on('message', (m) => {
    messages.push(m);
    for (const w of [...waiters]) {
      if (w.match(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    messages,
    exited,
    next: (match) => {
      const found = messages.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

/** Rejects naming `what` if `promise` has not settled within `ms` (a liveness bound, not a timing assertion). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)));
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

/** The q-quantile of sorted numbers (nearest rank). */
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

describe('TieredStore across 3 processes', () => {
  it('never serves the old value once the writer resolved and the bus message was applied', async () => {
    const prefix = `bus${randomBytes(4).toString('hex')}`;
    const channel = `cachekit-bus-test:${prefix}`;
    const writer = start('writer', prefix, channel);
    const readers = [start('reader', prefix, channel), start('reader', prefix, channel)];
    try {
      await runRounds(writer, readers, prefix);
    } finally {
      for (const c of [writer, ...readers]) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    }
  }, 60_000);
});

/** Runs the rounds and checks every reader's record (see the file comment). */
async function runRounds(writer: Child, readers: Child[], prefix: string): Promise<void> {
  const [w, ...rs] = await Promise.all([writer, ...readers].map((c) => c.next((m) => m.ready)));
  const writerId: string = w.instanceId;
  expect(new Set([writerId, ...rs.map((r) => r.instanceId)]).size).toBe(3);
  await Promise.all(readers.map((r) => r.next((m) => m.seen === 0)));

  const rounds: Array<{ round: number; startedAt: number; resolvedAt: number; published: number }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    writer.child.send({ round, kind: KINDS[round % KINDS.length] });
    rounds.push(await writer.next((m) => m.round === round));
    // The readers' L1 lives 30 s: only the bus can make them see the new value sooner.
    await within(Promise.all(readers.map((r) => r.next((m) => m.seen === round))), 10_000, `both readers seeing round ${round}`);
  }
  for (const r of readers) r.child.send({ stop: true });
  const reports = await Promise.all(readers.map((r) => r.next((m) => m.done)));
  writer.child.send({ stop: true });
  expect(await Promise.all([writer, ...readers].map((c) => c.exited))).toEqual([0, 0, 0]);
  const totalPublished = rounds.reduce((n, r) => n + r.published, 0);
  expect(rounds.every((r) => r.published >= 1)).toBe(true);

  const violations: string[] = [];
  const busDelays: number[] = [];
  const staleWindows: number[] = [];
  for (const [i, report] of reports.entries()) {
    // One publisher, one subscriber connection: the writer's messages arrive in the order sent.
    const receipts = report.receipts as Array<{ from: string; at: number; warmUp: boolean }>;
    const fromWriter = receipts.filter((x) => x.from === writerId && !x.warmUp).map((x) => x.at);
    expect(fromWriter).toHaveLength(totalPublished);
    const lastStart = new Map<number, number>(report.lastStart);
    let sent = 0;
    for (const { round, resolvedAt, published } of rounds) {
      sent += published;
      const applied = fromWriter[sent - 1]!; // the round's last message
      let lastOld = -Infinity;
      for (const [value, at] of lastStart) if (value < round) lastOld = Math.max(lastOld, at);
      if (lastOld > applied) violations.push(`reader ${i}: a read started ${(lastOld - applied).toFixed(3)} ms after round ${round}'s message returned an old value`);
      busDelays.push(applied - resolvedAt);
      staleWindows.push(Math.max(0, lastOld - resolvedAt));
    }
  }
  busDelays.sort((a, b) => a - b);
  staleWindows.sort((a, b) => a - b);
  const ms = (x: number) => `${x.toFixed(3)} ms`;
  console.log(
    [
      `TieredStore bus, ${ROUNDS} rounds x 2 readers (${reports.map((r) => r.reads).join(' + ')} reads):`,
      `  message applied, after the writer's call resolved: p50 ${ms(quantile(busDelays, 0.5))}, p99 ${ms(quantile(busDelays, 0.99))}, max ${ms(busDelays.at(-1)!)}`,
      `  old value still readable, after the call resolved: p50 ${ms(quantile(staleWindows, 0.5))}, p99 ${ms(quantile(staleWindows, 0.99))}, max ${ms(staleWindows.at(-1)!)}`,
    ].join('\n'),
  );
  expect(violations).toEqual([]);
  expect(busDelays).toHaveLength(ROUNDS * 2);

  const redis = new Redis(process.env.REDIS_URL!);
  await redis.del(`${prefix}-db:item`);
  await redis.quit();
}
