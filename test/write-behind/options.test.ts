import { ManualScheduler, WriteBehind, type WriteBehindOptions } from '../../src/index.js';
import { retryDelay } from '../../src/write-behind/retry-backoff.js';
import { compareStreamIds } from '../../src/write-behind/write-item.js';

describe('@WriteBehind options are checked when the decorator is applied', () => {
  const bad = (options: unknown) => () => WriteBehind(options as WriteBehindOptions);

  it.each([
    [{ batch: { size: 0 } }, '@WriteBehind: batch.size must be an integer >= 1; got 0 (number)'],
    [{ batch: { intervalMs: -1 } }, "@WriteBehind: batch.intervalMs: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got -1 (number)"],
    [{ batch: { sise: 10 } }, "@WriteBehind: unknown option 'batch.sise' (known: batch.size, batch.intervalMs)"],
    [{ concurrency: 0 }, '@WriteBehind: concurrency must be an integer >= 1; got 0 (number)'],
    [{ retry: { attempts: 0 } }, '@WriteBehind: retry.attempts must be an integer >= 1; got 0 (number)'],
    [{ maxPending: 1.5 }, '@WriteBehind: maxPending must be an integer >= 1; got 1.5 (number)'],
    [{ backpressure: 'drop' }, "@WriteBehind: backpressure must be one of 'wait', 'flush', 'reject'; got 'drop'"],
    [{ durable: 'yes' }, "@WriteBehind: durable must be a boolean; got 'yes'"],
    [{ merge: 42 }, '@WriteBehind: merge must be a function; got 42 (number)'],
    [{ batchWith: '' }, "@WriteBehind: batchWith must be a non-empty string; got ''"],
    [{ journal: { claimIdleMs: 0 } }, '@WriteBehind: journal.claimIdleMs must be more than 0; got 0 (number)'],
    [{ journal: { claimIntervalMs: '1x' } }, "@WriteBehind: journal.claimIntervalMs: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got '1x'"],
    [{ journal: { stream: 7 } }, '@WriteBehind: journal.stream must be a non-empty string; got 7 (number)'],
    [{ journal: { consumer: 'me' } }, "@WriteBehind: unknown option 'journal.consumer' (known: journal.stream, journal.group, journal.claimIdleMs, journal.claimIntervalMs, journal.leaseMs)"],
    [{ scheduler: { now: () => 0 } }, '@WriteBehind: scheduler must have now(), setTimer() and clearTimer() methods; got {} (object)'],
    [{ drainOnSignal: 'SIGTERM' }, "@WriteBehind: drainOnSignal must be a boolean or { signals, timeoutMs }; got 'SIGTERM'"],
    [{ drainOnSignal: { signals: ['TERM'] } }, `@WriteBehind: drainOnSignal.signals must be a non-empty array of signal names like 'SIGTERM'; got ["TERM"] (object)`],
    [{ drainOnSignal: { timeoutMs: '10 minutes' } }, "@WriteBehind: drainOnSignal.timeoutMs: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got '10 minutes'"],
  ])('%j', (options, message) => {
    expect(bad(options)).toThrow(new TypeError(message));
  });

  it('accepts every option in its documented form', () => {
    expect(typeof WriteBehind({
      key: 'user:{0}',
      namespace: 'users',
      ttl: '5m',
      value: (_id: string, v: unknown) => v,
      valueArg: 1,
      merge: (a: number, b: number) => a + b,
      batch: { size: 50, intervalMs: 2000 },
      batchWith: 'saveMany',
      concurrency: 4,
      retry: { attempts: 3, backoffMs: 50, maxBackoffMs: 10_000 },
      deadLetter: () => undefined,
      maxPending: 1000,
      backpressure: 'reject',
      durable: true,
      journal: { stream: 'app:wb', group: 'writers', claimIdleMs: 60_000, claimIntervalMs: 20_000 },
      store: 'shared',
      scheduler: new ManualScheduler(),
      drainOnSignal: { signals: ['SIGTERM', 'SIGUSR2'], timeoutMs: 20_000 },
    })).toBe('function');
  });
});

describe('write-behind building blocks', () => {
  it('retryDelay: full jitter below min(max, base * 2^(attempt-1))', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelay(n, 100, 1000, () => 0.999999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect([1, 2, 3].map((n) => retryDelay(n, 100, 1000, () => 0))).toEqual([0, 0, 0]);
    expect(retryDelay(3, 100, 1000, () => 0.5)).toBe(200);
  });

  it('compareStreamIds orders by time, then by sequence (numerically, not as text)', () => {
    expect(compareStreamIds('1700000000000-2', '1700000000000-10') < 0).toBe(true);
    expect(compareStreamIds('1700000000001-0', '1700000000000-99') > 0).toBe(true);
    expect(compareStreamIds('5-5', '5-5')).toBe(0);
  });

  it('ManualScheduler runs due timers in order, moving its clock to each, and leaves background timers to advance()', async () => {
    const s = new ManualScheduler({ now: 100 });
    const log: string[] = [];
    s.setTimer(() => log.push(`b@${s.now()}`), 20);
    s.setTimer(() => log.push(`a@${s.now()}`), 10);
    s.setTimer(() => log.push(`bg@${s.now()}`), 5, { background: true });
    const cancelled = s.setTimer(() => log.push('never'), 15);
    s.clearTimer(cancelled);
    s.setTimer(() => s.setTimer(() => log.push(`chained@${s.now()}`), 0), 20);
    expect(s.pendingTimers).toBe(3);
    expect(await s.runAll()).toBe(20);
    expect(log).toEqual(['bg@105', 'a@110', 'b@120', 'chained@120']);
    s.setTimer(() => log.push(`bg2@${s.now()}`), 50, { background: true });
    expect(await s.runAll()).toBe(0);
    await s.advance(50);
    expect(log.slice(4)).toEqual(['bg2@170']);
    expect(s.requestedDelays).toEqual([20, 10, 5, 15, 20, 0, 50]);
  });
});
