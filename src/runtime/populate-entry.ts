/**
 * The populate step of a cached read: after the method (the loader) returned, the result is
 * written under the lease the read took (`writeIf` on the generation it saw), with the TTL of
 * the result (`nullTtl`, an adaptive `ttl`, `ttlJitter`), the times of `grace` and
 * `refreshAhead`, and the namespace and tag versions read before the method ran (result tags read
 * now). Shared by `@Cacheable`, `@CacheableMany` and `runtime.cache().wrap`.
 */
import type { CacheableOptions } from '../options/cacheable.js';
import type { KeyScope, ReadResult, StoredEntry } from '../cache-store.js';
import type { EntryTarget } from './entry-target.js';
import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import { newGeneration } from '../stores/generation.js';
import { tagVersionKey } from '../stores/key-layout.js';
import { ttlOfResult, type ReadPolicy } from './read-policy.js';
import { stampLifetime } from './entry-lifetime.js';
import { CACHEABLE_DEFAULTS } from '../defaults.js';

/**
 * A read taken through a store's key scope (`CacheStore.keyScope`): its lease populates through
 * the same scope, so the entry keeps the caller's part (say, its own id string) as its key.
 */
export interface PartRead extends ReadResult {
  readonly part: string | number;
  readonly scope: KeyScope;
}

/** Writes one loaded value under its lease; reports (never throws) a TTL function's failure. */
export type Populate = (key: string, read: ReadResult, versionKeys: readonly string[], value: unknown, args: readonly unknown[]) => Promise<void>;

/** Builds the populate step of a cached method. */
export function createPopulate(target: EntryTarget, options: CacheableOptions, policy: ReadPolicy, scheduler: WriteBehindScheduler): Populate {
  const { runtime, store, stats, method, ttlMs } = target;
  const { resultTags } = options;
  const jitter = options.ttlJitter ?? CACHEABLE_DEFAULTS.ttlJitter;
  const ttlFunction = typeof options.ttl === 'function' ? options.ttl : undefined;
  const events = runtime.events;
  const prefix = runtime.settings.prefix;
  return async (key, read, versionKeys, value, args) => {
    let ttl: number;
    try {
      ttl = ttlOfResult(method, policy, ttlMs, ttlFunction, value, args);
    } catch (error) {
      runtime.report(error, { operation: 'ttl', method, key }, stats);
      return;
    }
    const entry: StoredEntry = { v: value, g: newGeneration(), n: read.versions[0] };
    if (versionKeys.length > 1 || resultTags) {
      const t: Record<string, number> = {};
      for (let i = 1; i < versionKeys.length; i++) t[versionKeys[i]!] = read.versions[i]!;
      if (resultTags) {
        const extra = resultTags(value, ...args).map((tag) => tagVersionKey(prefix, tag)).filter((k) => !(k in t));
        const versions = extra.length ? await store.readVersions(extra) : [];
        extra.forEach((k, i) => (t[k] = versions[i]!));
      }
      entry.t = t;
    }
    if (ttl > 0 && jitter > 0) ttl = Math.round(ttl * (1 + Math.random() * jitter));
    const keepMs = stampLifetime(entry, policy, ttl, scheduler.now());
    const scope = (read as Partial<PartRead>).scope;
    const written = scope === undefined ? store.writeIf(key, entry, keepMs, read.entry?.g) : scope.writeIf((read as PartRead).part, entry, keepMs, read.entry?.g);
    if (await written) {
      stats.sets++;
      if (events.has('set')) events.emit('set', { method, key, store: store.name });
    }
  };
}
