import { getCacheRuntime } from './configure-cache.js';
import type { CacheRuntime } from './cache-runtime.js';
import { classDefaultsOf, findOwner, type MethodPlan } from './plan.js';
import { resolveTarget } from './entry-target.js';
import { callOriginal, createCacheableCall, type MethodCall } from './cacheable-call.js';
import { createWriteThroughCall } from './write-through-call.js';
import { createCacheableManyCall } from './cacheable-many-call.js';
import { createWriteBehindCall } from './write-behind-call.js';
import { compileInvalidation, withInvalidations } from './invalidate-call.js';
import { createDistributedLock } from './distributed-lock.js';
import { watchForUnregisteredClasses } from './unregistered-class-warning.js';
import { CACHEABLE_DEFAULTS } from '../defaults.js';
import { resolveReadPolicy } from './read-policy.js';

/** A plan compiled against one runtime. */
interface CompiledPlan {
  readonly runtime: CacheRuntime;
  readonly call: MethodCall;
}

/**
 * Routes one call of a decorated method by its plan. The plan is compiled on the first call
 * against the current runtime (and again after `configureCache` replaces it), so every
 * setting is resolved once, not per call.
 */
export function intercept(plan: MethodPlan, wrapper: Function, self: unknown, args: unknown[]): Promise<unknown> {
  const runtime = getCacheRuntime();
  let c = plan.compiled as CompiledPlan | undefined;
  if (c === undefined || c.runtime !== runtime) {
    try {
      c = compile(plan, wrapper, self, runtime);
    } catch (error) {
      return Promise.reject(error);
    }
    plan.compiled = c;
  }
  return c.call(self, args);
}

function compile(plan: MethodPlan, wrapper: Function, self: unknown, runtime: CacheRuntime): CompiledPlan {
  plan.owner ??= findOwner(self, plan.methodName, wrapper);
  const className = plan.owner?.name;
  const method = className ? `${className}.${plan.methodName}` : plan.methodName;
  const defaults = classDefaultsOf(plan.owner);
  const stats = runtime.statsFor(method);
  const original = plan.original;

  let call: MethodCall = (s, args) => callOriginal(original, s, args);
  const cache = plan.cache;
  if (cache?.kind === 'Cacheable') {
    const { ttl } = cache.options;
    const target = resolveTarget(runtime, method, stats, { ...cache.options, ttl: typeof ttl === 'function' ? undefined : ttl }, defaults);
    const lock = (cache.options.distributedLock ?? CACHEABLE_DEFAULTS.distributedLock) ? createDistributedLock(target) : undefined;
    const policy = resolveReadPolicy(method, [cache.options, defaults, runtime.settings.reads]);
    call = createCacheableCall(target, cache.options, watchForUnregisteredClasses(original, method, target.store), policy, lock);
  } else if (cache?.kind === 'CacheableMany') {
    const { ttl, tags, key } = cache.options;
    const target = resolveTarget(
      runtime,
      method,
      stats,
      { ...cache.options, key: key as never, tags: tags as never, ttl: typeof ttl === 'function' ? undefined : ttl },
      defaults,
    );
    const policy = resolveReadPolicy(method, [cache.options, defaults, runtime.settings.reads]);
    call = createCacheableManyCall(target, cache.options, original, policy);
  } else if (cache?.kind === 'WriteThrough') {
    const target = resolveTarget(runtime, method, stats, cache.options, defaults);
    call = createWriteThroughCall(target, cache.options, original);
  } else if (cache?.kind === 'WriteBehind') {
    const target = resolveTarget(runtime, method, stats, { ...cache.options, ttl: cache.options.ttl }, defaults);
    call = createWriteBehindCall(target, cache.options, plan);
  }
  const labelled = cache === undefined ? plan.invalidations[0] : cache.options;
  if (labelled !== undefined) {
    runtime.describeMethod(method, {
      kind: cache?.kind ?? 'Invalidate',
      namespace: labelled.namespace ?? defaults?.namespace ?? method,
      store: runtime.store(labelled.store ?? defaults?.store).name,
    });
  }
  if (plan.invalidations.length) {
    const { tags: _entryTags, ...addressDefaults } = defaults ?? {};
    const invalidations = plan.invalidations.map((options) =>
      compileInvalidation(resolveTarget(runtime, method, stats, { ...options, tags: undefined }, addressDefaults, true), options),
    );
    call = withInvalidations(call, invalidations);
  }
  return { runtime, call };
}
