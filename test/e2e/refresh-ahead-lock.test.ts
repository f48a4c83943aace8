import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Refresh-ahead with `distributedLock` across processes (issue 15 item 3): 3 processes on one
 * Redis, each on a ManualScheduler started at the same time. One loads the key; every clock moves
 * past 50% of the TTL; then each process makes 50 concurrent calls. Every call is a hit on the
 * loaded value, and the key is reloaded once in all (one background reload per key: single-flight
 * in a process, the Redis lock across them). The method counts its runs in Redis.
 */
interface Worker {
  child: ChildProcess;
  ask(op: string, extra?: object): Promise<{ op: string; results?: Array<{ id: string; run: number }> }>;
  exited: Promise<number | null>;
}

function startWorker(prefix: string, start: number): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'refresh-worker.ts'), process.env.REDIS_URL!, prefix, String(start)], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: { op: string }) => void>();
  const ready = new Promise<void>((resolve) => waiting.set('ready', () => resolve()));
  child.on('message', (message: { op: string }) => waiting.get(message.op)?.(message));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    async ask(op, extra = {}) {
      await ready;
      return new Promise((resolve) => {
        waiting.set(op, resolve as never);
        child.send({ op, ...extra });
      });
    },
  };
}

describe('refresh-ahead with distributedLock across processes', () => {
  it('3 processes x 50 hits past 50% of the TTL: every call hits the loaded value, and the key reloads once in all', async () => {
    const prefix = `refresh${Date.now()}${process.pid}`;
    const start = Date.now();
    const workers = [startWorker(prefix, start), startWorker(prefix, start), startWorker(prefix, start)];
    const loaded = await workers[0]!.ask('load');
    expect(loaded.results).toEqual([{ id: 'hot', run: 1 }]);
    await Promise.all(workers.map((w) => w.ask('advance', { ms: 31_000 })));
    const hits = (await Promise.all(workers.map((w) => w.ask('hits')))).flatMap((m) => m.results!);
    expect(hits).toHaveLength(150);
    expect(hits).toEqual(hits.map(() => ({ id: 'hot', run: 1 })));
    await Promise.all(workers.map((w) => w.ask('close')));
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      expect(await redis.get(`${prefix}-runs:hot`)).toBe('2');
      await redis.del(`${prefix}-runs:hot`);
    } finally {
      await redis.quit();
    }
  }, 60_000);
});
