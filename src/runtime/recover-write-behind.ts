import { getCacheRuntime } from './configure-cache.js';
import type { WriteBehindOptions } from '../options/write-behind.js';
import type { CacheRuntime } from './cache-runtime.js';
import { resolveTarget } from './entry-target.js';
import { classDefaultsOf, findOwner, planOf, type MethodPlan } from './plan.js';
import type { ReplayPass } from '../write-behind/replay-pass.js';
import { WriteBehindFlushers } from './write-behind-flushers.js';

/** Counts of one recovery, in all and per method (see {@link recoverWriteBehind}). */
export interface WriteBehindRecoveryCounts {
  /** Entries of other (crashed) processes' journals this recovery claimed. */
  claimed: number;
  /** Claimed entries whose write reached the method (alone, or coalesced with newer calls of this process). */
  replayed: number;
  /** Claimed entries dropped because a newer write of their key was accepted (last wins), by any process. */
  superseded: number;
  /** Claimed entries handed to `deadLetter` (poison, a `merge` that threw, undecodable). */
  deadLettered: number;
  /** Claimed entries still in the journal when this process closed (another process replays them). */
  left: number;
  /** Claimed entries not settled yet: queued, in flight or retrying. */
  pending: number;
}

/** What {@link recoverWriteBehind} claimed and what became of it, as of when it was read. */
export interface WriteBehindRecovery extends WriteBehindRecoveryCounts {
  /** The same counts per `Class.method`. */
  methods: Record<string, WriteBehindRecoveryCounts>;
  /**
   * Resolves once every claimed entry has settled (`pending` is 0: written, superseded,
   * dead-lettered, or left at close), with the final counts. During a database outage it waits
   * for the database, like `flush()`.
   */
  settled(): Promise<WriteBehindRecovery>;
}

/**
 * Starts the journals of every durable `@WriteBehind` method of `instance`'s class (or of a
 * class, for static methods) without waiting for a first call, and claims what other processes
 * left: at once the entries of a dead process (gone from this host, or its liveness lapsed:
 * `journal.leaseMs`), and those idle for `journal.claimIdleMs`. Claimed entries are replayed
 * with `instance` as `this`, flushed at once; the periodic poll goes on claiming from then on.
 * Call it at startup in every process that owns such a class (a first call of the method does
 * the same for that method).
 * @returns what this recovery claimed (the journal's first pass, or one more pass if it had
 *   started) and what became of it so far; `await (await recoverWriteBehind(x)).settled()`
 *   waits until the replays have reached their methods
 * @throws StoreError when Redis does not answer within the store's timeout
 */
export async function recoverWriteBehind(instance: object, runtime: CacheRuntime = getCacheRuntime()): Promise<WriteBehindRecovery> {
  const registry = WriteBehindFlushers.of(runtime);
  const seen = new Set<MethodPlan>();
  const passes: Array<[string, ReplayPass]> = [];
  for (let object: object | null = instance; object !== null && object !== Object.prototype && object !== Function.prototype; object = Object.getPrototypeOf(object)) {
    for (const name of Object.getOwnPropertyNames(object)) {
      const wrapper = Object.getOwnPropertyDescriptor(object, name)?.value as unknown;
      const plan = planOf(wrapper);
      if (plan === undefined || seen.has(plan) || plan.cache?.kind !== 'WriteBehind' || !plan.cache.options.durable) continue;
      seen.add(plan);
      plan.owner ??= findOwner(instance, name, wrapper as Function);
      const options: WriteBehindOptions = plan.cache.options;
      const className = plan.owner?.name;
      const method = className ? `${className}.${plan.methodName}` : plan.methodName;
      const target = resolveTarget(runtime, method, runtime.statsFor(method), options, classDefaultsOf(plan.owner));
      const flusher = registry.flusherFor(plan, target, options);
      passes.push([method, await flusher.recover(instance)]);
    }
  }
  return reportOf(passes);
}

function reportOf(passes: ReadonlyArray<[string, ReplayPass]>): WriteBehindRecovery {
  const countsOf = (p: ReplayPass): WriteBehindRecoveryCounts => ({
    claimed: p.claimed,
    replayed: p.replayed,
    superseded: p.superseded,
    deadLettered: p.deadLettered,
    left: p.left,
    pending: p.pending,
  });
  const total: WriteBehindRecoveryCounts = { claimed: 0, replayed: 0, superseded: 0, deadLettered: 0, left: 0, pending: 0 };
  const methods: Record<string, WriteBehindRecoveryCounts> = {};
  for (const [method, pass] of passes) {
    const counts = countsOf(pass);
    methods[method] = counts;
    for (const k of Object.keys(total) as Array<keyof WriteBehindRecoveryCounts>) total[k] += counts[k];
  }
  return {
    ...total,
    methods,
    settled: async () => {
      await Promise.all(passes.map(([, p]) => p.settled));
      return reportOf(passes);
    },
  };
}
