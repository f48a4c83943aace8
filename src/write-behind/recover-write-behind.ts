import { getCacheRuntime } from '../config.js';
import type { WriteBehindOptions } from '../decorators/write-behind.js';
import type { CacheRuntime } from '../runtime/cache-runtime.js';
import { resolveTarget } from '../runtime/entry-target.js';
import { classDefaultsOf, findOwner, planOf, type MethodPlan } from '../runtime/plan.js';
import { WriteBehindFlushers } from './write-behind-flushers.js';

/**
 * Starts the journals of every durable `@WriteBehind` method of `instance`'s class (or of a
 * class, for static methods) without waiting for a first call: entries left unacknowledged by
 * a crashed process are claimed once idle for `journal.claimIdleMs` and replayed with
 * `instance` as `this`, now and by the periodic poll from then on. Call it at startup in every
 * process that owns such a class (a first call of the method does the same for that method).
 * @returns how many entries were claimed (by each journal's first pass, or by one more pass if it had started)
 */
export async function recoverWriteBehind(instance: object, runtime: CacheRuntime = getCacheRuntime()): Promise<number> {
  const registry = WriteBehindFlushers.of(runtime);
  const seen = new Set<MethodPlan>();
  let claimed = 0;
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
      claimed += await flusher.recover(instance);
    }
  }
  return claimed;
}
