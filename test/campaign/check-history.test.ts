import { checkHistory, type CheckInput, type ProcessEnd } from './check-history.js';
import type { CallRecord, FaultWindow, Floor, HistoryRecord } from './history.js';

const LIMITS = { busDelayMs: 50, graceMs: 2_500, callBoundMs: 3_000, flushBoundMs: 6_000, exitBoundMs: 2_000, maxHeld: 80 };

let n = 0;
const call = (fields: Partial<CallRecord> & Pick<CallRecord, 'p' | 'op' | 's' | 'e'>): CallRecord => ({ type: 'call', i: ++n, ok: true, ...fields });
const write = (p: string, v: number, s: number, e: number) => call({ p, op: 'write', ns: 'row', k: 'r0', v, s, e });
const read = (p: string, v: number, s: number, f: Floor[]) => call({ p, op: 'read', ns: 'row', k: 'r0', v, s, e: s + 1, f });

function check(records: HistoryRecord[], more: Partial<CheckInput> = {}) {
  const ends: ProcessEnd[] = more.ends ?? [
    { p: 'A', how: 'exited' },
    { p: 'B', how: 'exited' },
  ];
  return checkHistory({ store: 'redis', records, faults: [], rows: new Map(), limits: LIMITS, evicting: false, origin: 0, ...more, ends });
}
const guarantees = (records: HistoryRecord[], more: Partial<CheckInput> = {}) => check(records, more).map((v) => `${v.guarantee} ${v.key ?? ''}`.trim());

describe('the campaign checker', () => {
  describe('G1', () => {
    it('flags a read below a floor its own process raised, and passes one at or above it', () => {
      const w = write('A', 5, 100, 110);
      expect(guarantees([w, read('A', 4, 120, [[5, 'A', 110, 'w']])])).toEqual(['G1 row:r0']);
      expect(guarantees([w, read('A', 5, 120, [[5, 'A', 110, 'w']]), read('A', 6, 130, [[5, 'A', 110, 'w']])])).toEqual([]);
    });

    it("binds another process at once on RedisStore, and on TieredStore only once the bus delay has passed", () => {
      const w = write('A', 5, 100, 110);
      const early = read('B', 4, 130, [[5, 'A', 110, 'w']]);
      const late = read('B', 4, 170, [[5, 'A', 110, 'w']]);
      expect(guarantees([w, early])).toEqual(['G1 row:r0']);
      expect(guarantees([w, early], { store: 'tiered' })).toEqual([]);
      expect(guarantees([w, late], { store: 'tiered' })).toEqual(['G1 row:r0']);
    });

    it("binds other processes only `grace` after a store fault the write overlapped, its own process at once", () => {
      const faults: FaultWindow[] = [{ kind: 'redis-pause', s: 50, e: 1_000 }];
      const w = write('A', 5, 100, 110);
      expect(guarantees([w, read('B', 4, 2_000, [[5, 'A', 110, 'w']])], { faults })).toEqual([]);
      expect(guarantees([w, read('B', 4, 3_600, [[5, 'A', 110, 'w']])], { faults })).toEqual(['G1 row:r0']);
      expect(guarantees([w, read('A', 4, 200, [[5, 'A', 110, 'w']])], { faults })).toEqual(['G1 row:r0']);
      // chaos of another process does not excuse A's write
      const chaos: FaultWindow[] = [{ kind: 'chaos-throw', s: 50, e: 1_000, p: 'C' }];
      expect(guarantees([w, read('B', 4, 200, [[5, 'A', 110, 'w']])], { faults: chaos })).toEqual(['G1 row:r0']);
    });

    it('binds other processes only `grace` after a failed cache update of the key that the writer reported during the call', () => {
      const w = write('A', 5, 100, 110);
      const failed: HistoryRecord = { type: 'event', p: 'A', what: 'storeError', t: 105, key: 'cmp1:row:r0', detail: 'invalidate CIRCUIT_OPEN' };
      const otherKey: HistoryRecord = { ...failed, key: 'cmp1:row:r1' };
      expect(guarantees([w, failed, read('B', 4, 2_000, [[5, 'A', 110, 'w']])])).toEqual([]);
      expect(guarantees([w, failed, read('B', 4, 2_700, [[5, 'A', 110, 'w']])])).toEqual(['G1 row:r0']);
      expect(guarantees([w, otherKey, read('B', 4, 2_000, [[5, 'A', 110, 'w']])])).toEqual(['G1 row:r0']);
    });

    it('a pending write-behind value binds its own process only; once it reached the database it binds everyone', () => {
      const wb = call({ p: 'A', op: 'wb', ns: 'wb', k: 'Av0', v: 7, s: 100, e: 105 });
      const r = (p: string, v: number, s: number, f: Floor[]) => call({ p, op: 'read', ns: 'wb', k: 'Av0', v, s, e: s + 1, f });
      const flushed = { rows: new Map([['Av0', 7]]) };
      expect(guarantees([wb, r('B', 6, 120, [[7, 'A', 105, 'l']])], flushed)).toEqual([]);
      expect(guarantees([wb, r('A', 6, 120, [[7, 'A', 105, 'l']])], flushed)).toEqual(['G1 wb:Av0']);
      expect(guarantees([wb, r('B', 6, 300, [[7, 'C', 250, 'a']])], flushed)).toEqual(['G1 wb:Av0']);
      // the method may run before the call resolved: a read racing the call may return either value
      const racing = call({ p: 'A', op: 'wb', ns: 'wb', k: 'Av0', v: 7, s: 100, e: 400 });
      expect(guarantees([racing, r('A', 6, 300, [[7, 'A', 250, 'a']])], flushed)).toEqual([]);
      expect(guarantees([racing, r('A', 6, 401, [[7, 'A', 250, 'a']])], flushed)).toEqual(['G1 wb:Av0']);
      // a flushed value whose call is in no history (its process died before it resolved) binds nobody
      expect(guarantees([r('B', 6, 300, [[9, 'C', 250, 'a']])])).toEqual([]);
    });
  });

  describe('G2', () => {
    const wb = (p: string, v: number, durable: boolean, ok = true) => call({ p, op: 'wb', ns: 'wb', k: 'Ad0', v, durable, s: v * 10, e: v * 10 + 1, ok });

    it('flags a database row older than the last accepted write, or missing; accepts the last one or a newer unaccepted one', () => {
      const history = [wb('A', 1, true), wb('A', 2, true), wb('A', 3, true, false)];
      expect(guarantees(history, { rows: new Map([['Ad0', 1]]) })).toEqual(['G2 wb:Ad0']);
      expect(guarantees(history, { rows: new Map() })).toEqual(['G2 wb:Ad0']);
      expect(guarantees(history, { rows: new Map([['Ad0', 2]]) })).toEqual([]);
      expect(guarantees(history, { rows: new Map([['Ad0', 3]]) })).toEqual([]);
    });

    it('holds durable writes through a SIGKILL of their process, not non-durable ones; durable ones not while Redis evicts', () => {
      const killed: ProcessEnd[] = [{ p: 'A', how: 'killed' }];
      expect(guarantees([wb('A', 2, true)], { rows: new Map([['Ad0', 1]]), ends: killed })).toEqual(['G2 wb:Ad0']);
      expect(guarantees([wb('A', 2, false)], { rows: new Map([['Ad0', 1]]), ends: killed })).toEqual([]);
      expect(guarantees([wb('A', 2, false)], { rows: new Map([['Ad0', 1]]) })).toEqual(['G2 wb:Ad0']);
      expect(guarantees([wb('A', 2, true)], { rows: new Map([['Ad0', 1]]), evicting: true })).toEqual([]);
      // close() during a database outage gives non-durable writes up (documented); durable ones stay in the journal
      const close = call({ p: 'A', op: 'close', s: 100, e: 200 });
      const outage: FaultWindow[] = [{ kind: 'db-fail', s: 50, e: 150 }];
      expect(guarantees([wb('A', 2, false), close], { rows: new Map([['Ad0', 1]]), faults: outage })).toEqual([]);
      expect(guarantees([wb('A', 2, true), close], { rows: new Map([['Ad0', 1]]), faults: outage })).toEqual(['G2 wb:Ad0']);
    });

    it('flags every dead letter (there is no poison write), except a memory write given up by close() during an outage', () => {
      const dead = (t: number, method: string): HistoryRecord => ({ type: 'event', p: 'A', what: 'deadLetter', t, detail: `Rows.${method} cmp1:wb:Ad0 database down` });
      const history = [wb('A', 1, true), wb('A', 2, true)];
      const rows = new Map([['Ad0', 2]]);
      expect(guarantees([...history, dead(15, 'writeDurable')], { rows })).toEqual(['G2 wb:Ad0']);
      const close = call({ p: 'A', op: 'close', s: 100, e: 200 });
      const outage: FaultWindow[] = [{ kind: 'db-fail', s: 50, e: 150 }];
      expect(guarantees([...history, close, dead(120, 'writeVolatile')], { rows, faults: outage })).toEqual([]);
      expect(guarantees([...history, close, dead(120, 'writeDurable')], { rows, faults: outage })).toEqual(['G2 wb:Ad0']);
      expect(guarantees([...history, close, dead(40, 'writeVolatile')], { rows, faults: outage })).toEqual(['G2 wb:Ad0']);
    });
  });

  describe('G3', () => {
    it('bounds a call by its time beyond the database faults it overlapped', () => {
      const slow = call({ p: 'A', op: 'read', ns: 'row', k: 'r0', v: 1, s: 0, e: 4_000 });
      expect(guarantees([slow])).toEqual(['G3 row:r0']);
      expect(guarantees([slow], { faults: [{ kind: 'db-stall', s: 500, e: 2_000 }] })).toEqual([]);
      expect(guarantees([slow], { faults: [{ kind: 'redis-pause', s: 500, e: 2_000 }] })).toEqual(['G3 row:r0']);
      expect(guarantees([call({ p: 'A', op: 'close', s: 0, e: 5_000 })])).toEqual([]);
      expect(guarantees([call({ p: 'A', op: 'close', s: 0, e: 7_000 })])).toEqual(['G3']);
    });

    it('flags unhandled rejections, hung calls, more than maxPending held, and a process that did not exit after close()', () => {
      expect(guarantees([{ type: 'event', p: 'A', what: 'unhandled', t: 1, detail: 'boom' }])).toEqual(['G3']);
      expect(guarantees([{ type: 'event', p: 'A', what: 'hung', t: 1, detail: 'call 3' }])).toEqual(['G3']);
      expect(guarantees([{ type: 'event', p: 'A', what: 'maxPending', t: 1, n: 81 }])).toEqual(['G3']);
      expect(guarantees([{ type: 'event', p: 'A', what: 'maxPending', t: 1, n: 80 }])).toEqual([]);
      expect(guarantees([], { ends: [{ p: 'A', how: 'hung' }] })).toEqual(['G3']);
      expect(guarantees([], { ends: [{ p: 'A', how: 'exited', exitAfterCloseMs: 2_500 }] })).toEqual(['G3']);
    });
  });

  it('shows a violation with the offending key only, and the faults of its window', () => {
    const other = call({ p: 'B', op: 'write', ns: 'row', k: 'r1', v: 9, s: 105, e: 106 });
    const [violation] = check([write('A', 5, 100, 110), other, read('A', 4, 120, [[5, 'A', 110, 'w']])], { faults: [{ kind: 'db-fail', s: 90, e: 115 }] });
    expect(violation!.excerpt.map((line) => line.replace(/#\d+/, '#n'))).toEqual([
      '+90.0..+115.0 FAULT db-fail',
      '+100.0..+110.0 A#n write row:r0 v=5 ok',
      '+120.0..+121.0 A#n read row:r0 -> 4 ok floors [5w by A +110.0]',
    ]);
  });
});
