/**
 * What the orchestrator tells a campaign worker (one JSON argument), and the key space every
 * worker shares: four rows read, written through and invalidated by everyone (two tags), and
 * per writer slot its own write-behind keys (durable and not), read and invalidated by everyone.
 * One slot writes a write-behind key, so call order is value order and "the last accepted
 * write" is well defined; a restarted incarnation of a slot takes its keys over.
 */
import type { Op } from './history.js';

/** A campaign worker's settings. */
export interface WorkerConfig {
  role: 'worker' | 'recoverer';
  /** Process id, e.g. `A`, `A#2` for the second incarnation of slot A. */
  p: string;
  /** The writer slot whose write-behind keys this process writes. */
  slot: string;
  /** Every slot of the history (their write-behind keys are read by everyone). */
  slots: string[];
  seed: number;
  store: 'memory' | 'redis' | 'tiered';
  /** The campaign's own redis-server (Redis and Tiered stores). */
  cachePort?: number;
  /** The campaign database (the test run's redis-server). */
  dbUrl: string;
  /** Prefix of this history's database rows and cache keys. */
  prefix: string;
  /** This process's history file. */
  file: string;
  /** Concurrent call loops. */
  chains: number;
  /** Whether this history has durable write-behind keys (a Redis-backed store). */
  durable: boolean;
  /** A MemoryStore (or TieredStore L1) of 3 entries: constant eviction. */
  l1Tiny: boolean;
  /** Seeded chaos windows on this process's store (throw, stall, slow). */
  chaos: boolean;
  /** RedisStore `timeoutMs`, and the chaos wrapper's deadline. */
  timeoutMs: number;
  /** `maxPending` of each write-behind method. */
  maxPending: number;
  /** Replay the durable journal at start (`recoverWriteBehind`), as a restarted writer does. */
  recover: boolean;
  /** Recoverer: how long to wait for the journal to drain. */
  recoverMs: number;
  /** After `stop`, calls still running this long later are recorded as hung. */
  hungAfterMs: number;
  /** Relative weights of the operations. */
  weights: Record<Exclude<Op, 'close' | 'recover'>, number>;
}

/** Rows everyone reads, writes through and invalidates. */
export const rowKeys = ['r0', 'r1', 'r2', 'r3'] as const;

/** The tag of a row (two rows per tag). */
export const tagOf = (k: string): string => (k === 'r0' || k === 'r1' ? 't0' : 't1');

/** The write-behind keys a slot owns: two durable (with a Redis-backed store), two not. */
export function writeBehindKeys(slot: string, durable: boolean): Array<{ k: string; durable: boolean }> {
  const keys = [
    { k: `${slot}v0`, durable: false },
    { k: `${slot}v1`, durable: false },
  ];
  if (durable) keys.push({ k: `${slot}d0`, durable: true }, { k: `${slot}d1`, durable: true });
  return keys;
}
