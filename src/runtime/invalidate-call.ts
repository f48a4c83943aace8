import type { InvalidateOptions } from '../options/invalidate.js';
import type { MethodCall } from './cacheable-call.js';
import type { EntryTarget } from './entry-target.js';
import { tagVersionKey } from '../stores/key-layout.js';
import { INVALIDATE_DEFAULTS } from '../defaults.js';

/** One compiled @Invalidate: what it drops for a call, and when. */
export interface CompiledInvalidation {
  readonly when: 'after' | 'before' | 'always';
  /** Computes what a call drops (throws KeyBuildError before anything runs); the drop counts and announces itself unless `quiet`. */
  prepare(args: readonly unknown[]): (quiet?: boolean) => Promise<void>;
}

/** Compiles one @Invalidate against its target (store and namespace). */
export function compileInvalidation(target: EntryTarget, options: InvalidateOptions): CompiledInvalidation {
  const { runtime, store, stats, method } = target;
  const { prefix } = runtime.settings;
  const tags = options.tags;
  // Without key, allEntries and tags: the default key of the arguments, as on every other decorator.
  const allEntries = options.allEntries ?? INVALIDATE_DEFAULTS.allEntries;
  const dropsKeys = options.key !== undefined || (!allEntries && tags === undefined);
  const mode = options.mode ?? INVALIDATE_DEFAULTS.mode;
  return {
    when: options.when ?? INVALIDATE_DEFAULTS.when,
    prepare(args) {
      const keys = dropsKeys ? ([] as string[]).concat(target.keysOf(args)) : [];
      const versionKeys = allEntries ? [target.namespaceVersionKey] : [];
      const tagNames = tags === undefined ? [] : typeof tags === 'function' ? tags(...args) : tags;
      for (const tag of tagNames) versionKeys.push(tagVersionKey(prefix, tag));
      return async (quiet = false) => {
        if ((await runtime.drop(store, keys, versionKeys, method, mode)) && !quiet) {
          stats.invalidations += keys.length + versionKeys.length;
          if (runtime.events.has('invalidate')) {
            runtime.events.emit('invalidate', {
              method,
              keys,
              namespaces: allEntries ? [target.namespace] : [],
              tags: [...tagNames],
            });
          }
        }
      };
    },
  };
}

/**
 * Wraps a call (the cached call, or the plain method) with its invalidations: `before` ones
 * run first, `after` ones once it succeeded, `always` ones once it settled either way.
 * A `before` invalidation runs again once the call settled: a miss that started after the
 * first one may have loaded the old row while the method ran, and its populate (whose lease is
 * the first tombstone) would otherwise keep the old row after the call resolved.
 * Every key is computed before the method runs, so a bad key never reaches the database.
 */
export function withInvalidations(call: MethodCall, invalidations: readonly CompiledInvalidation[]): MethodCall {
  return async function invalidatingCall(self, args) {
    const drops = invalidations.map((inv) => ({ when: inv.when, run: inv.prepare(args) }));
    await Promise.all(drops.filter((d) => d.when === 'before').map((d) => d.run()));
    let result: unknown;
    try {
      result = await call(self, args);
    } catch (error) {
      await Promise.all(drops.filter((d) => d.when !== 'after').map((d) => d.run(d.when === 'before')));
      throw error;
    }
    await Promise.all(drops.map((d) => d.run(d.when === 'before')));
    return result;
  };
}
