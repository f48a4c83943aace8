/**
 * A model test of the write-behind flusher: fast-check draws the flusher's settings and a
 * sequence of calls, flushes, database outages, poison keys, clock moves and method-call
 * completions; the real flusher runs them on a ManualScheduler (timers) and fast-check's
 * scheduler (which in-flight method call finishes next), and a reference model (the values
 * accepted per key, in order, and how many of them are settled) checks, after every step and
 * at the end:
 *
 * - every accepted write reaches the method or is dead-lettered with its value, once, in the
 *   order accepted per key (each method call or dead letter of a key covers the next run of
 *   accepted values: last wins, so its value is the newest of them, or with `merge` exactly
 *   their merge);
 * - flush() resolves only once everything accepted before it was written or dead-lettered;
 * - the queued value of every key not settled yet is the flusher's pending item of the key
 *   (read-your-writes), and the flusher never holds more than `maxPending`;
 * - what the flusher reports holding (`inspect()`) matches the model: nothing exactly when every
 *   accepted value is settled, one or two items per key with unsettled values, and the oldest
 *   pending write's age is that of the oldest accepted value not settled yet;
 * - close() ends with nothing held (every accepted call counted as flushed or dead-lettered),
 *   refuses the calls still waiting for room and any later one, and reports what it gave up.
 *
 * Seeded and deterministic: no real timers, no sleeps, no timing assertions.
 */
import fc from 'fast-check';
import { WriteBehindFlusher } from '../../src/write-behind/flusher.js';
import type { FlusherSettings } from '../../src/write-behind/flusher-settings.js';
import type { FlusherEvents } from '../../src/write-behind/flusher-host.js';
import { ManualScheduler } from '../../src/write-behind/manual-scheduler.js';
import { QueueFullError, RuntimeClosedError } from '../../src/errors.js';
import type { DeadLetter } from '../../src/options/write-behind.js';

const KEYS = ['a', 'b', 'c'];
const SEED = 1407;
const RUNS = 200;

type Op =
  | { kind: 'call'; key: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'finish'; n: number }
  | { kind: 'flush' }
  | { kind: 'down' }
  | { kind: 'up' }
  | { kind: 'poison'; key: number }
  | { kind: 'cure'; key: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('call' as const), key: fc.nat(KEYS.length - 1) }), weight: 5 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.constantFrom(0, 10, 60, 150) }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('finish' as const), n: fc.integer({ min: 1, max: 3 }) }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'flush' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'down' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'up' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('poison' as const), key: fc.nat(KEYS.length - 1) }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('cure' as const), key: fc.nat(KEYS.length - 1) }), weight: 1 },
);

const config = fc.record({
  merge: fc.boolean(),
  batch: fc.boolean(),
  batchSize: fc.integer({ min: 1, max: 4 }),
  concurrency: fc.integer({ min: 1, max: 3 }),
  attempts: fc.integer({ min: 1, max: 3 }),
  onOutage: fc.constantFrom('retry' as const, 'dead-letter' as const),
  maxPending: fc.integer({ min: 1, max: 5 }),
  backpressure: fc.constantFrom('wait' as const, 'flush' as const, 'reject' as const),
  deadLetterThrows: fc.boolean(),
});
type Config = typeof config extends fc.Arbitrary<infer C> ? C : never;

/** A value as the method receives it: one accepted number (last wins), or the accepted numbers merged in order. */
type Value = number | number[];

/**
 * The reference: values accepted per key in order (globally increasing numbers), and how many
 * of them are settled. It runs inside the method and the dead-letter handler, where a throw
 * would count as a failed write, so it records violations instead; the test checks the list.
 */
class Reference {
  readonly accepted = new Map<string, number[]>(KEYS.map((k) => [k, []]));
  readonly settledCount = new Map<string, number>(KEYS.map((k) => [k, 0]));
  /** When each accepted value was accepted (the scheduler's clock), per key, in order. */
  readonly acceptedAt = new Map<string, number[]>(KEYS.map((k) => [k, []]));
  readonly violations: string[] = [];
  calls = 0;

  accept(key: string, n: number, at: number): void {
    this.accepted.get(key)!.push(n);
    this.acceptedAt.get(key)!.push(at);
    this.calls++;
  }

  /** A method call or dead letter of `key` carrying `value` settles the next run of accepted values: checks it is that run. */
  settle(key: string, value: Value, merged: boolean, how: string): void {
    const accepted = this.accepted.get(key)!;
    const from = this.settledCount.get(key)!;
    let to: number;
    if (merged) {
      // exactly the accepted values after the last settled one, in order: none lost, none twice
      const values = value as number[];
      to = from + values.length;
      const expected = accepted.slice(from, to);
      if (values.length === 0 || JSON.stringify(values) !== JSON.stringify(expected)) {
        this.violations.push(`${how} ${key} [${values}] but the next accepted values are [${accepted.slice(from)}]`);
        return;
      }
    } else {
      // a value accepted after everything settled so far: not written twice, not out of order
      to = accepted.indexOf(value as number) + 1;
      if (to <= from) {
        this.violations.push(`${how} ${key} ${value} but [${accepted.slice(0, from)}] are settled already`);
        return;
      }
    }
    this.settledCount.set(key, to);
  }

  unsettled(key: string): number {
    return this.accepted.get(key)!.length - this.settledCount.get(key)!;
  }

  /** When the oldest accepted value not settled yet was accepted, if any. */
  oldestUnsettledAt(): number | undefined {
    let oldest: number | undefined;
    for (const key of KEYS) {
      const at = this.acceptedAt.get(key)![this.settledCount.get(key)!];
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest;
  }

  snapshot(): Map<string, number> {
    return new Map(KEYS.map((k) => [k, this.accepted.get(k)!.length]));
  }
}

async function turns(n = 4): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function runModel(c: Config, ops: Op[], s: fc.Scheduler): Promise<void> {
  const scheduler = new ManualScheduler({ random: () => 0.5 });
  let lastSeq = 0;
  const ref = new Reference();
  const db = { down: false, poison: new Set<string>() };
  const reports: Array<{ error: unknown; operation: string }> = [];
  const deadLetters: Array<{ letter: DeadLetter; closing: boolean }> = [];
  const stats = { queued: 0, flushed: 0, retries: 0, deadLetters: 0 };
  let closing = false;

  const fails = (keys: string[]) => db.down || keys.some((k) => db.poison.has(k));
  /** The database: each call finishes when fast-check's scheduler says so, and fails by the database's state then. */
  const write = async (rows: Array<[string, Value]>) => {
    await s.schedule(Promise.resolve(), `write ${rows.map(([k]) => k).join(',')}`);
    if (fails(rows.map(([k]) => k))) throw new Error('database refused');
    for (const [key, value] of rows) ref.settle(key, value, c.merge, 'written');
  };
  const self = { saveMany: (rows: Array<[string, Value]>) => write(rows) };

  const settings: FlusherSettings = {
    method: 'Model.save',
    runtime: {
      report: (error, context) => void reports.push({ error, operation: context.operation }),
      predecessorDone: undefined,
      events: { has: () => false, emit: <E extends keyof FlusherEvents>(_e: E, _p: FlusherEvents[E]) => undefined },
    },
    stats,
    sequence: { next: () => ++lastSeq },
    original: (key: string, value: Value) => write([[key, value]]),
    batchWith: c.batch ? 'saveMany' : undefined,
    merge: c.merge ? (previous: number[], next: number[]) => [...previous, ...next] : undefined,
    valueArg: 1,
    batchSize: c.batchSize,
    intervalMs: 100,
    concurrency: c.concurrency,
    attempts: c.attempts,
    backoffMs: 20,
    maxBackoffMs: 80,
    onOutage: c.onOutage,
    deadLetter: (letter) => {
      deadLetters.push({ letter, closing });
      ref.settle(letter.key, letter.args[1] as Value, c.merge, 'dead-lettered');
      if (c.deadLetterThrows) throw new Error('handler failed');
    },
    maxPending: c.maxPending,
    backpressure: c.backpressure,
    scheduler,
    keyOf: (args) => args[0] as string,
    valueOf: (args) => args[1],
    replaySelf: undefined,
    journal: undefined,
  };
  const flusher = new WriteBehindFlusher(settings);

  let nextValue = 1;
  let admissionsOpen = 0;
  const flushes: Array<{ done: boolean }> = [];
  const enqueue = (key: string, reserved: boolean) => {
    const n = nextValue++;
    ref.accept(key, n, scheduler.now());
    flusher.enqueue(key, c.merge ? [n] : n, [key, c.merge ? [n] : n], self, reserved);
  };
  const call = (key: string) => {
    const admitted = flusher.admit(key);
    if (typeof admitted === 'boolean') {
      enqueue(key, admitted);
      return;
    }
    admissionsOpen++;
    admitted.then(
      (reserved) => {
        admissionsOpen--;
        enqueue(key, reserved);
      },
      (error) => {
        admissionsOpen--;
        const expected = closing ? RuntimeClosedError : QueueFullError;
        if (!(error instanceof expected)) ref.violations.push(`a call was refused with ${String(error)}`);
      },
    );
  };
  const flush = () => {
    const before = ref.snapshot();
    const state = { done: false };
    flushes.push(state);
    void flusher.flush().then(() => {
      // everything accepted before the flush was written or dead-lettered
      for (const key of KEYS) {
        if (ref.settledCount.get(key)! < before.get(key)!) ref.violations.push(`flush() resolved before ${key}'s ${before.get(key)} accepted values settled`);
      }
      state.done = true;
    });
  };
  const check = () => {
    expect(ref.violations).toEqual([]);
    expect(flusher.size).toBeLessThanOrEqual(c.maxPending);
    const held = flusher.inspect();
    const keysUnsettled = KEYS.filter((key) => ref.unsettled(key) > 0).length;
    expect({ held: held.pending > 0, inFlightAtMostHeld: held.inFlight <= held.pending }).toEqual({ held: keysUnsettled > 0, inFlightAtMostHeld: true });
    expect(held.pending).toBeGreaterThanOrEqual(keysUnsettled);
    expect(held.pending).toBeLessThanOrEqual(2 * keysUnsettled);
    const oldestAt = ref.oldestUnsettledAt();
    expect(held.oldestPendingAgeMs).toBe(oldestAt === undefined ? 0 : scheduler.now() - oldestAt);
    for (const key of KEYS) {
      if (ref.unsettled(key) === 0) {
        expect({ key, pending: flusher.pendingOf(key) }).toEqual({ key, pending: undefined });
        continue;
      }
      // read-your-writes: the newest accepted value of a key not written yet is the flusher's pending item
      const item = flusher.pendingOf(key);
      const newest = ref.accepted.get(key)!.at(-1);
      const value = item?.value;
      expect({ key, newest: Array.isArray(value) ? value.at(-1) : value }).toEqual({ key, newest });
    }
  };

  for (const o of ops) {
    switch (o.kind) {
      case 'call':
        call(KEYS[o.key]!);
        break;
      case 'advance':
        await scheduler.advance(o.ms);
        break;
      case 'finish':
        for (let i = 0; i < o.n && s.count() > 0; i++) await s.waitNext(1);
        break;
      case 'flush':
        flush();
        break;
      case 'down':
        db.down = true;
        break;
      case 'up':
        db.down = false;
        break;
      case 'poison':
        db.poison.add(KEYS[o.key]!);
        break;
      case 'cure':
        db.poison.delete(KEYS[o.key]!);
        break;
    }
    await turns();
    check();
  }

  // close: whatever the database does, it ends, with every accepted write written or dead-lettered
  closing = true;
  let closed = false;
  void flusher.close().then(() => (closed = true));
  for (let round = 0; !closed; round++) {
    if (round > 500) throw new Error(`close() did not finish; unsettled: ${KEYS.map((k) => `${k} ${ref.unsettled(k)}`).join(', ')}`);
    while (s.count() > 0) await s.waitNext(1);
    await scheduler.advance(100);
    check();
  }
  await expect(flusher.admit('a')).rejects.toBeInstanceOf(RuntimeClosedError);
  await turns();

  expect(admissionsOpen).toBe(0);
  for (const key of KEYS) expect({ key, unsettled: ref.unsettled(key) }).toEqual({ key, unsettled: 0 });
  expect(flusher.size).toBe(0);
  for (const key of KEYS) expect(flusher.pendingOf(key)).toBeUndefined();
  expect(flushes.every((f) => f.done)).toBe(true);
  // every accepted call counted once, as written or as dead-lettered
  expect(stats.flushed + stats.deadLetters).toBe(ref.calls);
  // nothing given up silently: a throwing handler is reported, and so is every write given up at close
  const operations = reports.map((r) => r.operation);
  expect(operations.filter((o) => o !== 'deadLetter' && o !== 'shutdown')).toEqual([]);
  expect(operations.filter((o) => o === 'deadLetter').length).toBe(c.deadLetterThrows ? deadLetters.length : 0);
  const shutdown = reports.filter((r) => r.operation === 'shutdown');
  expect(shutdown.length).toBeLessThanOrEqual(1);
  const givenUp = shutdown.length === 0 ? 0 : Number(/: (\d+) writes still failed at close/.exec((shutdown[0]!.error as Error).message)?.[1]);
  expect(givenUp).toBeLessThanOrEqual(deadLetters.filter((d) => d.closing).length);
}

describe('WriteBehindFlusher against a reference model', () => {
  it('writes or dead-letters every accepted call, in order per key, and flush/close wait for them', async () => {
    await fc.assert(
      fc.asyncProperty(config, fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }), fc.scheduler(), (c, ops, s) => runModel(c, ops, s)),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
