import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Graceful degradation against a real redis-server that is killed and restarted on the same
 * port, stopped with SIGSTOP, and paused with CLIENT PAUSE, while @Cacheable and @Invalidate
 * calls go on. The scenario runs in its own Node process (test/e2e/fixtures/fault-worker.ts),
 * which starts the server with startRedisServer() and listens for 'unhandledRejection' itself:
 * inside Jest, Jest's own handler would take them first.
 */
interface PhaseReport {
  calls: number;
  wrong: unknown[];
  slowestCallMs: number;
  statesSeen: string[];
  circuitAtEnd: string;
  resumedCaching?: boolean;
  roundsUntilResumed?: number;
  pendingOperations?: number;
  offlineQueue?: number;
  commandQueueAfter?: number;
}
interface FaultReport {
  phases: Record<'healthy' | 'killed' | 'restarted' | 'stopped' | 'client-pause', PhaseReport>;
  unhandled: string[];
  unconfirmed: number;
  errorCodes: Record<string, number>;
  closedStatus: string;
}

function runScenario(): Promise<FaultReport> {
  const worker = join(__dirname, 'fixtures', 'fault-worker.ts');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', worker], { cwd: join(__dirname, '..', '..'), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`fault worker exited ${code}: ${err}`))));
  });
}

describe('RedisStore while Redis fails', () => {
  let report: FaultReport;

  beforeAll(async () => {
    report = await runScenario();
    const slowest = Object.entries(report.phases).map(([name, p]) => `${name} ${p.slowestCallMs} ms`);
    console.log(`slowest decorated call per phase (timeout 200 ms): ${slowest.join(', ')}`);
  }, 60_000);

  it('returns the right value from every call, in every phase', () => {
    for (const phase of Object.values(report.phases)) expect(phase.wrong).toEqual([]);
    expect(report.phases.killed.calls).toBe(20);
    expect(report.phases.stopped.calls).toBeGreaterThanOrEqual(21);
    expect(report.phases['client-pause'].calls).toBeGreaterThanOrEqual(21);
  });

  it('caches while healthy', () => {
    expect(report.phases.healthy.resumedCaching).toBe(true);
    expect(report.phases.healthy.statesSeen).toEqual([]);
  });

  it('opens the breaker when Redis is killed, and keeps nothing queued', () => {
    const killed = report.phases.killed;
    expect(killed.statesSeen[0]).toBe('open');
    expect(killed.circuitAtEnd).toBe('open');
    expect(killed.pendingOperations).toBe(0);
    expect(killed.offlineQueue).toBe(0);
  });

  it('resumes caching after a restart on the same port, with the same store and client', () => {
    const restarted = report.phases.restarted;
    expect(restarted.resumedCaching).toBe(true);
    expect(restarted.statesSeen.at(-1)).toBe('closed');
    expect(restarted.circuitAtEnd).toBe('closed');
  });

  it.each([
    ['stopped (SIGSTOP)', 'stopped'],
    ['paused (CLIENT PAUSE)', 'client-pause'],
  ] as const)('opens the breaker while Redis is %s, probes, and closes it once Redis answers again', (_how, name) => {
    const phase = report.phases[name];
    expect(phase.statesSeen[0]).toBe('open');
    expect(phase.statesSeen).toContain('half-open');
    expect(phase.statesSeen.at(-1)).toBe('closed');
    expect(phase.resumedCaching).toBe(true);
    expect(phase.pendingOperations).toBe(0);
    expect(phase.offlineQueue).toBe(0);
  });

  it('bounds the commands owed by a stopped server: the breaker threshold plus one per probe', () => {
    const stopped = report.phases.stopped;
    const probesWhileStopped = stopped.statesSeen.filter((s) => s === 'half-open').length - 1;
    expect(stopped.commandQueueAfter! <= 3 + probesWhileStopped).toBe(true);
  });

  it('reports timeouts and fast failures through the error hook, and no rejection goes unhandled', () => {
    expect(report.unhandled).toEqual([]);
    expect(report.errorCodes.E_STORE_TIMEOUT! > 0).toBe(true);
    expect(report.errorCodes.E_CIRCUIT_OPEN! > 0).toBe(true);
    expect(report.unconfirmed).toBe(0); // invalidations made during the faults all landed
    expect(report.closedStatus).toBe('end');
  });
});
