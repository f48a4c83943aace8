import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/**
 * Distributed stampede protection: 3 processes x 50 concurrent calls of one
 * @Cacheable({ distributedLock: true }) method, all missing the same key at once, on one
 * Redis. The method counts its runs in Redis; it must run exactly once.
 */
interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  results: Promise<Array<{ id: string; builtBy: number }>>;
  exited: Promise<number | null>;
}

function startWorker(prefix: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'lock-worker.ts'), process.env.REDIS_URL!, prefix], {
    cwd: join(__dirname, '..', '..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let onReady!: () => void;
  let onResults!: (r: Array<{ id: string; builtBy: number }>) => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const results = new Promise<Array<{ id: string; builtBy: number }>>((resolve) => (onResults = resolve));
  child.on('message', (message: { ready?: true; results?: Array<{ id: string; builtBy: number }> }) => {
    if (message.ready) onReady();
    if (message.results) onResults(message.results);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, ready, results, exited };
}

describe('distributedLock across processes', () => {
  it('runs the method once for 3 processes x 50 concurrent calls missing the same key', async () => {
    const prefix = `lock${Date.now()}${process.pid}`;
    const workers = [startWorker(prefix), startWorker(prefix), startWorker(prefix)];
    await Promise.all(workers.map((w) => w.ready));
    for (const w of workers) w.child.send('go');
    const all = (await Promise.all(workers.map((w) => w.results))).flat();
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0, 0]);
    const redis = new Redis(process.env.REDIS_URL!);
    try {
      expect(await redis.get(`${prefix}-runs:hot`)).toBe('1');
      const warmUps = workers.map((w) => `${prefix}-runs:warm-up-${w.child.pid}`);
      expect(await redis.mget(...warmUps)).toEqual(['1', '1', '1']); // each process's own key, run by each
      await redis.del(`${prefix}-runs:hot`, ...warmUps);
    } finally {
      await redis.quit();
    }
    expect(all).toHaveLength(150);
    const builder = all[0]!.builtBy;
    expect(workers.map((w) => w.child.pid)).toContain(builder);
    expect(all).toEqual(all.map(() => ({ id: 'hot', builtBy: builder })));
  }, 60_000);
});
