/**
 * What the campaign records: every call a worker made (process, operation, key, value, start
 * and end, outcome), every write-behind write that reached the database, the worker's own
 * events, and the faults the orchestrator injected. Workers append one JSON line per record
 * to their own file with a synchronous write, so a record survives a SIGKILL of its process.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

/** Wall-clock milliseconds with sub-millisecond precision, comparable between processes of one machine. */
export const wallNow = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000) / 1000;

/** The operations a worker issues. */
export type Op =
  | 'read' // @Cacheable read of a key
  | 'write' // @WriteThrough
  | 'inval-key' // @Invalidate of the key after a database write (write-around)
  | 'inval-ns' // @Invalidate({ allEntries }) after a database write
  | 'inval-tag' // @Invalidate({ tags }) after a database write
  | 'drop-key' // @Invalidate of a write-behind key, no database write
  | 'drop-ns' // @Invalidate({ allEntries }) of the write-behind namespace, no database write
  | 'wb' // @WriteBehind (durable or not)
  | 'flush' // runtime.flush()
  | 'close' // runtime.close()
  | 'recover'; // recoverWriteBehind() at the start of a restarted writer

/**
 * A floor a read saw before it started: `[value, process, time, kind]`. Kinds: `w` a write of
 * any process had resolved (write-through or write-around); `a` a write-behind write had reached
 * the database; `l` a write-behind call of the reader's own process had resolved.
 */
export type Floor = [value: number, process: string, time: number, kind: 'w' | 'a' | 'l'];

/** One call, as the worker saw it. */
export interface CallRecord {
  type: 'call';
  /** Process id: the slot, then `#n` for a restarted incarnation (`A`, `A#2`). */
  p: string;
  /** Call number within the process. */
  i: number;
  op: Op;
  /** Namespace: `row` (read, written through, invalidated) or `wb` (written behind). */
  ns?: 'row' | 'wb';
  k?: string;
  /** The value read, or the value written. */
  v?: number;
  durable?: boolean;
  /** Start and end (wall ms). */
  s: number;
  e: number;
  ok: boolean;
  /** The error's code (or name) when the call rejected. */
  err?: string;
  /** Reads: the floors seen before the call started. */
  f?: Floor[];
}

/** A write-behind write that reached the database (the method ran), in the process that ran it. */
export interface ApplyRecord {
  type: 'apply';
  p: string;
  k: string;
  v: number;
  t: number;
}

/** Something the worker noticed: a dead letter, an unhandled rejection, a call that never settled, its start and exit, a chaos window. */
export interface EventRecord {
  type: 'event';
  p: string;
  what: 'start' | 'recovered' | 'deadLetter' | 'unhandled' | 'hung' | 'maxPending' | 'chaos' | 'exit' | 'storeError';
  /** storeError: the full cache key whose write or invalidation the store failed to take. */
  key?: string;
  t: number;
  detail?: string;
  /** chaos: the mode and its end; maxPending: the most writes held at once. */
  mode?: string;
  until?: number;
  n?: number;
}

/** A fault the orchestrator injected (or a worker's chaos window), with its start and end. */
export interface FaultWindow {
  kind: 'redis-pause' | 'redis-kill' | 'maxmemory' | 'db-fail' | 'db-stall' | 'writer-kill' | 'chaos-throw' | 'chaos-stall' | 'chaos-slow';
  s: number;
  e: number;
  /** The process it affects; every process when absent. */
  p?: string;
}

export type HistoryRecord = CallRecord | ApplyRecord | EventRecord;

/** Appends one record (synchronously: it reaches the file even if the process is killed right after). */
export function appendRecord(file: string, record: HistoryRecord): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}

/** Reads a worker's history file (a last line cut by a SIGKILL is ignored). */
export function readRecords(file: string): HistoryRecord[] {
  if (!existsSync(file)) return [];
  const records: HistoryRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      records.push(JSON.parse(line) as HistoryRecord);
    } catch {
      // a line cut short by SIGKILL
    }
  }
  return records;
}
