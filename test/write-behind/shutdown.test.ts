import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureCache, errors, ManualScheduler, MemoryStore, WriteBehind } from '../../src/index.js';

const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'e2e', 'fixtures', 'write-behind-shutdown.ts');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the shutdown fixture; `onReady` is called once it prints `ready`. */
function runFixture(mode: string, out: string, onReady?: (pid: number) => void): Promise<Run> {
  const prefix = `wb-shutdown-${randomBytes(4).toString('hex')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, mode, out, process.env.REDIS_URL!, prefix], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (onReady && stdout.includes('ready\n')) {
      const ready = onReady;
      onReady = undefined;
      ready(child.pid!);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const rowsIn = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as [string, number]) : []);
const allRows = Array.from({ length: 50 }, (_, i) => [`e${i}`, i]);

describe('@WriteBehind: shutdown', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cachekit-wb-shutdown-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runtime.close() flushes queued writes, then releases timers: the process ends on its own', async () => {
    const out = join(dir, 'close.jsonl');
    const run = await runFixture('close', out);
    expect(run).toMatchObject({ code: 0, signal: null, stdout: 'closed\n', stderr: '' });
    expect(rowsIn(out)).toEqual(allRows);
  }, 60_000);

  it('durable mode: close() also stops the journal timers and the store closes its connection: the process ends on its own', async () => {
    const out = join(dir, 'close-durable.jsonl');
    const run = await runFixture('close-durable', out);
    expect(run).toMatchObject({ code: 0, signal: null, stdout: 'closed\n', stderr: '' });
    expect(rowsIn(out)).toEqual(allRows);
  }, 60_000);

  it('drainOnSignal: SIGTERM drains the queue, then the signal ends the process', async () => {
    const out = join(dir, 'signal.jsonl');
    const run = await runFixture('signal', out, (pid) => process.kill(pid, 'SIGTERM'));
    expect(run).toMatchObject({ code: null, signal: 'SIGTERM', stdout: 'ready\n', stderr: '' });
    expect(rowsIn(out)).toEqual(allRows);
  }, 60_000);

  it('drainOnSignal: with an application SIGTERM handler, the queue drains and the application decides (here: it ends on its own)', async () => {
    const out = join(dir, 'signal-app.jsonl');
    const run = await runFixture('signal-app', out, (pid) => process.kill(pid, 'SIGTERM'));
    expect(run).toMatchObject({ code: 0, signal: null, stdout: 'ready\napp handler\n', stderr: '' });
    expect(rowsIn(out)).toEqual(allRows);
  }, 60_000);

  it('close() writes what was queued before it and refuses later calls with RuntimeClosedError', async () => {
    const scheduler = new ManualScheduler();
    const runtime = configureCache({ store: new MemoryStore() });
    const written: string[] = [];
    class Svc {
      @WriteBehind({ scheduler, batch: { size: 100, intervalMs: 3_600_000 } })
      async save(id: string) {
        written.push(id);
      }
    }
    const s = new Svc();
    await s.save('a');
    await s.save('b');
    await runtime.close();
    expect(written).toEqual(['a', 'b']);
    expect(scheduler.pendingTimers).toBe(0);
    const error = await s.save('c').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(errors.RuntimeClosedError);
    expect((error as Error).message).toBe('Svc.save: the cache runtime is closed');
    expect(written).toEqual(['a', 'b']);
  });

  it('installs the signal handlers once per runtime and removes them on close()', async () => {
    const before = process.listenerCount('SIGTERM');
    const runtime = configureCache({ store: new MemoryStore() });
    class Svc {
      @WriteBehind({ drainOnSignal: true, scheduler: new ManualScheduler() })
      async a(_id: string) {}

      @WriteBehind({ drainOnSignal: { signals: ['SIGTERM'] }, scheduler: new ManualScheduler() })
      async b(_id: string) {}
    }
    await new Svc().a('x');
    await new Svc().b('x');
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await runtime.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});
