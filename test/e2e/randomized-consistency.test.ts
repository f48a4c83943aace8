import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Runs the race worker in a child process and returns its JSON summary. */
function runWorker(prefix: string, seed: number, ops: number): Promise<{ ops: number; reads: number; violations: string[]; tracked: boolean }> {
  const worker = join(__dirname, 'fixtures', 'race-worker.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker, process.env.REDIS_URL!, prefix, String(seed), String(ops)], {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

describe('randomized reads, writes and invalidations across 2 processes on one Redis', () => {
  it('never returns a value older than one whose write had resolved before the read began', async () => {
    const prefix = `rand-${Date.now()}`;
    const [a, b] = await Promise.all([runWorker(prefix, 1, 3000), runWorker(prefix, 2, 3000)]);
    expect(a.violations).toEqual([]);
    expect(b.violations).toEqual([]);
    expect(a.ops + b.ops).toBe(6000);
    expect(a.reads + b.reads).toBeGreaterThan(3000);
    // Both ran with version copies kept by Redis's announcements (RedisStore's default).
    expect([a.tracked, b.tracked]).toEqual([true, true]);
  }, 120_000);
});
