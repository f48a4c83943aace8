/**
 * A history's plan, derived from its seed alone: the store, the processes, the operation mix,
 * and the timeline of faults the orchestrator injects. `CAMPAIGN_SEED=<seed>` replays the same
 * plan (same store, same faults at the same offsets, same seeded choices in every worker; the
 * operating system still decides the exact interleaving).
 */
import { Prng } from './prng.js';
import type { FaultWindow } from './history.js';
import type { WorkerConfig } from './worker-config.js';

/** The stores a history runs on. MemoryStore histories have one process (in-process concurrency only). */
export type StoreKind = WorkerConfig['store'];

/** A fault the orchestrator injects `at` ms after the workers started, for `length` ms. */
export interface PlannedFault {
  kind: Exclude<FaultWindow['kind'], 'chaos-throw' | 'chaos-stall' | 'chaos-slow'>;
  at: number;
  length: number;
  /** writer-kill: the slot killed (restarted after `length`). */
  slot?: string;
}

export interface HistoryPlan {
  seed: number;
  store: StoreKind;
  slots: string[];
  chains: number;
  /** How long the workers issue calls. */
  opsMs: number;
  faults: PlannedFault[];
  /** The store's L1 (MemoryStore, or TieredStore's L1) holds 3 entries. */
  l1Tiny: boolean;
  /** Slots whose processes open seeded chaos windows on their store. */
  chaosSlots: string[];
  /** Close every process while Redis is paused (then resume it). */
  closeUnderPause: boolean;
  /** The database fails for this long (ms) while every process closes: close() must wait it out and lose nothing. */
  outageAtEnd?: number;
  /** At the end, SIGKILL this slot's process in the middle of a flush (the database stalled), and never restart it. */
  crashAtEnd?: string;
  workerSeeds: Record<string, number>;
}

const FAULTS: Record<StoreKind, PlannedFault['kind'][]> = {
  memory: ['db-fail', 'db-stall'],
  redis: ['redis-pause', 'redis-kill', 'maxmemory', 'db-fail', 'db-stall', 'writer-kill'],
  tiered: ['redis-pause', 'redis-kill', 'maxmemory', 'db-fail', 'db-stall', 'writer-kill'],
};

const LENGTH: Record<PlannedFault['kind'], [number, number]> = {
  'redis-pause': [3_500, 5_000], // longer than any call's bound: an operation without a deadline shows
  'redis-kill': [800, 2_500],
  maxmemory: [1_500, 3_000],
  'db-fail': [1_500, 3_500], // longer than the default retry's ~1 s of attempts
  'db-stall': [500, 2_000],
  'writer-kill': [300, 1_200],
};

/**
 * The plan of history `seed` (the store is part of the seed: see {@link storeOfSeed}).
 * `only` restricts the planned fault kinds (CAMPAIGN_FAULTS; `[]`: no planned faults).
 */
export function planHistory(seed: number, opsMs: number, only?: readonly string[]): HistoryPlan {
  const random = new Prng(seed);
  const store = storeOfSeed(seed);
  const allowed = (kind: string) => only === undefined || only.includes(kind);
  const slots = store === 'memory' ? ['A'] : random.chance(0.5) ? ['A', 'B'] : ['A', 'B', 'C'];
  // each history stresses one to three kinds of fault, several times
  const possible = FAULTS[store].filter(allowed);
  const kinds = possible.filter(() => random.chance(0.45));
  if (kinds.length === 0 && possible.length) kinds.push(random.pick(possible));
  const faults: PlannedFault[] = [];
  for (let at = random.int(400, 1_200); kinds.length; ) {
    const kind = random.pick(kinds);
    const [min, max] = LENGTH[kind];
    const length = random.int(min, max);
    if (at + length > opsMs - 300) break;
    faults.push({ kind, at, length, ...(kind === 'writer-kill' ? { slot: random.pick(slots) } : {}) });
    at += length + random.int(300, 1_200);
  }
  const workerSeeds: Record<string, number> = {};
  for (const slot of slots) workerSeeds[slot] = random.fork();
  return {
    seed,
    store,
    slots,
    chains: store === 'memory' ? 8 : 4,
    opsMs,
    faults,
    l1Tiny: store !== 'redis' && random.chance(0.5) && allowed('l1-churn'),
    chaosSlots: slots.filter(() => random.chance(0.3) && allowed('chaos')),
    closeUnderPause: store !== 'memory' && random.chance(0.3) && allowed('close-under-pause'),
    ...(store !== 'memory' && random.chance(0.5) && allowed('crash-at-end') ? { crashAtEnd: random.pick(slots) } : {}),
    ...(random.chance(0.3) && allowed('outage-at-end') ? { outageAtEnd: random.int(1_500, 3_000) } : {}),
    workerSeeds,
  };
}

/** The store of a seed: seeds cycle Redis, Tiered, Memory. */
export function storeOfSeed(seed: number): StoreKind {
  return (['redis', 'tiered', 'memory'] as const)[Math.abs(seed) % 3]!;
}
