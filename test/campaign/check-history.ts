/**
 * The checker: given everything a history recorded, it reports each violation of
 *
 * - G1 (no stale value after a write): a read returned a value below a floor it had seen before
 *   it started, where the floor applies to it. A floor from the reader's own process always
 *   applies. One from another process applies on RedisStore at once, on TieredStore once the
 *   documented bus delay has passed since the write resolved. A write whose call overlapped a
 *   fault of its process's store (Redis paused or killed, chaos that fails or stalls) could not
 *   reach the shared store: its floor applies to other processes `grace` ms after that fault
 *   ended (the unconfirmed invalidation is retried every second until it lands). A write-behind
 *   floor (`a`: the write reached the database) applies like the write-behind call's own floor
 *   (in histories where Redis evicts keys, `grace` later in other processes: see the G1 loop);
 *   the floor of a write-behind call that has not reached the database yet (`l`) only binds its
 *   own process (read-your-writes).
 * - G2 (an accepted write is never lost or reverted): the database holds, for every write-behind
 *   key, the value of its last accepted call (or a newer one, from a call whose outcome was not an
 *   acceptance). Durable keys always (unless Redis evicted the journal: maxmemory histories);
 *   non-durable keys when the process that accepted the last write closed normally, with the
 *   database up (close() gives a memory write up after `retry.attempts` failures: documented).
 *   And no write is dead-lettered (the campaign has no poison writes), except those memory writes.
 * - G3 (nothing hangs): every call settled within its bound (database stalls and outages it
 *   overlapped are the method's own time, not the cache's), no call hung, no unhandled rejection,
 *   write-behind writes held never above `maxPending`, every process exited on its own after close().
 */
import type { CallRecord, EventRecord, FaultWindow, Floor, HistoryRecord } from './history.js';
import type { StoreKind } from './history-plan.js';

export type Guarantee = 'G1' | 'G2' | 'G3';

export interface Violation {
  guarantee: Guarantee;
  /** ns:key when one key shows it. */
  key?: string;
  message: string;
  /** The shortest part of the history that shows it: the offending key's calls and the faults in the window. */
  excerpt: string[];
}

/** How a process ended. */
export interface ProcessEnd {
  p: string;
  /** killed: SIGKILLed as a planned fault; hung: did not exit after close and was killed; exited: on its own. */
  how: 'killed' | 'hung' | 'exited';
  /** ms from the end of its close() to its exit. */
  exitAfterCloseMs?: number;
}

export interface CheckInput {
  store: StoreKind;
  records: HistoryRecord[];
  faults: FaultWindow[];
  /** The database's write-behind rows at the end. */
  rows: Map<string, number>;
  ends: ProcessEnd[];
  /** Bounds and delays. */
  limits: CheckLimits;
  /** Whether Redis evicted keys (then durable journal entries may be gone: G2 is not checked for durable keys). */
  evicting: boolean;
  /** Time 0 of the excerpts. */
  origin: number;
}

export interface CheckLimits {
  /** TieredStore's documented bus delay. */
  busDelayMs: number;
  /** After a store fault of the writer's process ends, its invalidation reaches other processes within this. */
  graceMs: number;
  /** Longest a call may take beyond the database time it overlapped. */
  callBoundMs: number;
  /** Longest flush() or close() may take beyond the database faults it overlapped. */
  flushBoundMs: number;
  /** Longest a process may stay after its close() resolved. */
  exitBoundMs: number;
  /** Most write-behind writes a process may hold (sum of its methods' maxPending). */
  maxHeld: number;
}

const STORE_FAULTS = new Set<FaultWindow['kind']>(['redis-pause', 'redis-kill', 'chaos-throw', 'chaos-stall']);
const DATABASE_FAULTS = new Set<FaultWindow['kind']>(['db-fail', 'db-stall']);
const WRITES = new Set(['write', 'inval-key', 'inval-ns', 'inval-tag']);

/** Total ms of [s, e] covered by windows. */
function overlap(s: number, e: number, windows: readonly FaultWindow[]): number {
  let total = 0;
  for (const w of windows) total += Math.max(0, Math.min(e, w.e) - Math.max(s, w.s));
  return total;
}

/** Checks a whole history. */
export function checkHistory(input: CheckInput): Violation[] {
  const { records, faults, limits, origin } = input;
  const calls = records.filter((r): r is CallRecord => r.type === 'call');
  const events = records.filter((r): r is EventRecord => r.type === 'event');
  const windows: FaultWindow[] = [...faults];
  for (const ev of events) {
    if (ev.what === 'chaos') windows.push({ kind: `chaos-${ev.mode}` as FaultWindow['kind'], s: ev.t, e: ev.until!, p: ev.p });
  }
  const violations: Violation[] = [];

  const at = (t: number) => `+${(t - origin).toFixed(1)}`;
  const describe = (r: HistoryRecord): string => {
    if (r.type === 'apply') return `${at(r.t)} ${r.p} apply wb:${r.k} = ${r.v} (write-behind write reached the database)`;
    if (r.type === 'event') return `${at(r.t)} ${r.p} ${r.what}${r.key ? ` ${r.key}` : ''}${r.mode ? ` ${r.mode} until ${at(r.until!)}` : ''}${r.detail ? ` ${r.detail}` : ''}`;
    const floors = r.f?.length ? ` floors [${r.f.map(([v, p, t, kind]) => `${v}${kind} by ${p} ${at(t)}`).join(', ')}]` : '';
    const what = r.op === 'read' ? `-> ${r.v ?? '?'}` : r.v !== undefined ? `${r.durable ? 'durable ' : ''}v=${r.v}` : '';
    const target = r.op === 'inval-ns' || r.op === 'drop-ns' ? `${r.ns}:*` : r.ns ? `${r.ns}:${r.k}` : '';
    return `${at(r.s)}..${at(r.e)} ${r.p}#${r.i} ${r.op} ${target} ${what} ${r.ok ? 'ok' : `rejected ${r.err}`}${floors}`;
  };
  const faultLines = (s: number, e: number) =>
    windows.filter((w) => w.s <= e && w.e >= s).map((w) => `${at(w.s)}..${at(w.e)} FAULT ${w.kind}${w.p ? ` (${w.p})` : ''}`);
  /** The calls and writes of one key between s and e, with the faults of that window. */
  const excerptOf = (ns: string, k: string, s: number, e: number, extra: HistoryRecord[] = []): string[] => {
    const own = records.filter((r) => {
      if (r.type === 'event') return false;
      if (r.type === 'apply') return ns === 'wb' && r.k === k && r.t >= s && r.t <= e;
      return ((r.ns === ns && r.k === k) || (r.op === 'inval-ns' && r.ns === ns) || r.op === 'drop-ns') && r.e >= s && r.s <= e;
    });
    const lines = [...new Set([...own, ...extra])].map((r) => ({ t: r.type === 'call' ? r.s : r.t, line: describe(r) }));
    for (const f of faultLines(s, e)) lines.push({ t: Number(f.slice(1, f.indexOf('..'))) + origin, line: f });
    return lines.sort((a, b) => a.t - b.t).map((l) => l.line);
  };

  const storeFaultsOf = (p: string) => windows.filter((w) => STORE_FAULTS.has(w.kind) && (w.p === undefined || w.p === p));
  const storeErrors = events.filter((ev) => ev.what === 'storeError');
  /**
   * When a write's floor binds other processes: after the bus delay (Tiered); and `grace` after
   * a store fault of its process that it overlapped (or followed by less than `grace`: the
   * circuit breaker may still be open), or after a failed cache write or invalidation of its key
   * that its process reported during the call (documented: retried every second, meanwhile only
   * the writing process bypasses the cache).
   */
  const crossProcessTime = (call: CallRecord, floorTime: number): number => {
    let t = Math.max(floorTime, call.e + (input.store === 'tiered' ? limits.busDelayMs : 0));
    for (const w of storeFaultsOf(call.p)) if (w.s <= call.e && w.e + limits.graceMs >= call.s) t = Math.max(t, call.e + limits.graceMs, w.e + limits.graceMs);
    for (const ev of storeErrors) {
      if (ev.p === call.p && ev.t >= call.s && ev.t <= call.e + 1 && ev.key?.endsWith(`:${call.ns}:${call.k}`)) t = Math.max(t, call.e + limits.graceMs);
    }
    return t;
  };
  /** Dead letters and failed cache writes of a key in a window. */
  const keyEvents = (ns: string, k: string, s: number, e: number) =>
    events.filter((ev) => (ev.what === 'deadLetter' || ev.what === 'storeError') && ev.t >= s && ev.t <= e && (ev.key ?? ev.detail ?? '').includes(`:${ns}:${k}`));
  const writeCalls = new Map<string, CallRecord>();
  for (const c of calls) if (c.ok && c.v !== undefined && (WRITES.has(c.op) || c.op === 'wb')) writeCalls.set(`${c.ns}:${c.k}:${c.v}`, c);

  // G1
  for (const r of calls) {
    if (r.op !== 'read' || !r.ok || r.v === undefined || !r.f) continue;
    let required: { floor: Floor; call?: CallRecord } | undefined;
    for (const floor of r.f) {
      const [v, p, t, kind] = floor;
      if (required && required.floor[0] >= v) continue;
      let binds: boolean;
      const call = writeCalls.get(`${r.ns}:${r.k}:${v}`);
      if (kind === 'l') binds = p === r.p;
      else if (kind === 'w') binds = p === r.p || (call !== undefined && crossProcessTime(call, t) <= r.s);
      // a flushed write-behind value binds once its call had resolved (the method may run before
      // that); where Redis evicts keys, other processes `grace` later: the pending entry may have
      // been evicted, another process then cached the older row, and the release that follows the
      // method tombstones it (documented: evictions on RedisStore)
      else binds = call !== undefined && (call.p === r.p ? call.e <= r.s : crossProcessTime(call, t) + (input.evicting ? limits.graceMs : 0) <= r.s);
      if (binds) required = { floor, call };
    }
    if (required && r.v < required.floor[0]) {
      const from = required.call?.s ?? required.floor[2];
      violations.push({
        guarantee: 'G1',
        key: `${r.ns}:${r.k}`,
        message: `${r.p}#${r.i} read ${r.ns}:${r.k} = ${r.v} at ${at(r.s)}, but ${required.floor[0]} (${{ w: 'written', a: 'written behind and flushed', l: 'written behind' }[required.floor[3]]} by ${required.floor[1]}, resolved ${at(required.floor[2])}) binds it`,
        excerpt: excerptOf(r.ns!, r.k!, from - 20, r.e + 5, keyEvents(r.ns!, r.k!, from - 20, r.e + 5)),
      });
    }
  }

  // G2
  const accepted = new Map<string, CallRecord>();
  for (const c of calls) {
    if (c.op !== 'wb' || !c.ok) continue;
    const last = accepted.get(c.k!);
    if (!last || c.v! > last.v!) accepted.set(c.k!, c);
  }
  const endOf = new Map(input.ends.map((e) => [e.p, e]));
  const closes = new Map(calls.filter((c) => c.op === 'close').map((c) => [c.p, c]));
  /** Whether the database was down while `p` closed: close() then gives non-durable writes up after `attempts` (documented). */
  const closedInOutage = (p: string) => {
    const close = closes.get(p);
    return close !== undefined && windows.some((w) => w.kind === 'db-fail' && w.s <= close.e && w.e >= close.s);
  };
  for (const [k, last] of accepted) {
    if (last.durable ? input.evicting : endOf.get(last.p)?.how !== 'exited' || closedInOutage(last.p)) continue;
    const d = input.rows.get(k);
    if (d === undefined || d < last.v!) {
      const deadLetters = events.filter((ev) => ev.what === 'deadLetter' && ev.detail?.includes(`:wb:${k} `));
      violations.push({
        guarantee: 'G2',
        key: `wb:${k}`,
        message: `the database holds wb:${k} = ${d ?? 'nothing'}, but ${last.p}#${last.i} accepted ${last.durable ? 'durable ' : ''}v=${last.v} at ${at(last.e)}${deadLetters.length ? ` (${deadLetters.length} dead letters of the key)` : ''}`,
        excerpt: excerptOf('wb', k, last.s - 200, Infinity, deadLetters).slice(-40),
      });
    }
  }

  // G2: the campaign's database never fails one write alone (no poison), so a dead letter is a lost write;
  // only a memory write given up by close() while the database is down is documented
  for (const ev of events) {
    if (ev.what !== 'deadLetter') continue;
    const close = closes.get(ev.p);
    if (ev.detail?.startsWith('Rows.writeVolatile') && close && ev.t >= close.s && closedInOutage(ev.p)) continue;
    const key = /:wb:(\S+)/.exec(ev.detail ?? '')?.[1];
    violations.push({
      guarantee: 'G2',
      key: key === undefined ? undefined : `wb:${key}`,
      message: `${ev.p} dead-lettered an accepted write (no write fails alone here: an outage must lose nothing): ${ev.detail}`,
      excerpt: key === undefined ? [describe(ev)] : excerptOf('wb', key, ev.t - 3_000, ev.t + 1, [ev]).slice(-25),
    });
  }

  // G3
  const databaseFaults = windows.filter((w) => DATABASE_FAULTS.has(w.kind));
  for (const c of calls) {
    const bound = c.op === 'flush' || c.op === 'close' || c.op === 'recover' ? limits.flushBoundMs : limits.callBoundMs;
    const took = c.e - c.s - overlap(c.s, c.e, databaseFaults);
    if (took > bound) {
      violations.push({
        guarantee: 'G3',
        key: c.ns ? `${c.ns}:${c.k}` : undefined,
        message: `${c.p}#${c.i} ${c.op} ${c.ns ? `${c.ns}:${c.k} ` : ''}took ${Math.round(c.e - c.s)} ms (${Math.round(took)} ms beyond database faults; bound ${bound} ms)${c.ok ? '' : `, rejected ${c.err}`}`,
        excerpt: [describe(c), ...faultLines(c.s, c.e)],
      });
    }
  }
  for (const ev of events) {
    if (ev.what === 'unhandled' || ev.what === 'hung') {
      violations.push({ guarantee: 'G3', message: `${ev.p}: ${ev.what === 'hung' ? 'a call never settled' : 'unhandled rejection'}: ${ev.detail}`, excerpt: [describe(ev)] });
    }
    if (ev.what === 'maxPending' && ev.n! > limits.maxHeld) {
      violations.push({ guarantee: 'G3', message: `${ev.p} held ${ev.n} write-behind writes at once, above maxPending (${limits.maxHeld})`, excerpt: [describe(ev)] });
    }
  }
  for (const end of input.ends) {
    if (end.how === 'hung') violations.push({ guarantee: 'G3', message: `${end.p} did not close and exit on its own (killed at the deadline)`, excerpt: [] });
    if ((end.exitAfterCloseMs ?? 0) > limits.exitBoundMs) {
      violations.push({ guarantee: 'G3', message: `${end.p} exited ${end.exitAfterCloseMs} ms after its close() resolved (bound ${limits.exitBoundMs} ms)`, excerpt: [] });
    }
  }
  return violations;
}

/** The figures of a checked history. */
export function countHistory(records: readonly HistoryRecord[]): { calls: number; reads: number; writes: number; writeBehind: number; applies: number } {
  let calls = 0;
  let reads = 0;
  let writes = 0;
  let writeBehind = 0;
  let applies = 0;
  for (const r of records) {
    if (r.type === 'apply') applies++;
    if (r.type !== 'call') continue;
    calls++;
    if (r.op === 'read') reads++;
    else if (r.op === 'wb') writeBehind++;
    else if (WRITES.has(r.op)) writes++;
  }
  return { calls, reads, writes, writeBehind, applies };
}
