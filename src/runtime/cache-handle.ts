/**
 * `runtime.cache(namespace)`: the entries of a namespace from code that cannot use a decorator
 * (and for warming a cache at start-up). It addresses the same entries as
 * `@Cacheable({ namespace, key: (id) => id })`, through the same key builder, leases, version
 * counters and stores: `get` serves only what a decorated read would serve as a hit, `set` writes
 * like a write-through, `delete` removes like `@Invalidate`, and `wrap` is a `@Cacheable` call.
 */
import type { CacheRuntime } from './cache-runtime.js';
import type { KeyPart } from '../options/key.js';
import type { Duration } from '../duration.js';
import type { CacheHandle, CacheSetOptions, CacheWrapOptions } from '../options/cache-handle.js';
import type { CacheableOptions, TtlFunction } from '../options/cacheable.js';
import { resolveTarget, type EntryTarget } from './entry-target.js';
import { createCacheableCall, type CallKeyState, type MethodCall } from './cacheable-call.js';
import { resolveReadPolicy, checkResilientReads, RESILIENT_READ_OPTIONS } from './read-policy.js';
import { isFresh, tagsStillCurrent } from '../stores/entry-freshness.js';
import { entryOf } from './write-through-call.js';
import { parseDuration, quote } from '../duration.js';
import { checkKnownOptions } from '../known-options.js';
import { ageOf, stampLifetime } from './entry-lifetime.js';
import { CacheWriteError } from '../errors.js';
import { realScheduler } from '../write-behind/scheduler.js';

const SET_OPTIONS = ['ttl', 'tags', 'grace'] as const satisfies readonly (keyof CacheSetOptions)[];
const WRAP_OPTIONS = ['ttl', 'tags', 'cacheNull', ...RESILIENT_READ_OPTIONS] as const satisfies readonly (keyof CacheWrapOptions)[];

// One per runtime and namespace (and store): wrap compiles a call per options, and the keys' backoff and
// refresh-ahead state must outlive it.
const keyStates = new WeakMap<CacheRuntime, Map<string, CallKeyState>>();

function keyStateOf(runtime: CacheRuntime, namespace: string, storeName: string | undefined): CallKeyState {
  let states = keyStates.get(runtime);
  if (states === undefined) keyStates.set(runtime, (states = new Map()));
  const id = `${storeName ?? ''}\u0000${namespace}`;
  let state = states.get(id);
  if (state === undefined) states.set(id, (state = { backoff: new Map(), refreshing: new Set() }));
  return state;
}

/** Builds the handle of `namespace` on `runtime`. */
export function createCacheHandle<V>(runtime: CacheRuntime, namespace: string, storeName?: string): CacheHandle<V> {
  if (typeof namespace !== 'string' || namespace === '') throw new TypeError(`runtime.cache: namespace must be a non-empty string; got ${quote(namespace)}`);
  const label = `cache(${namespace})`;
  const stats = runtime.statsFor(label);
  const scheduler = runtime.settings.scheduler ?? realScheduler;
  const targetOf = (tags: readonly string[] | undefined, ttl: Duration | undefined): EntryTarget =>
    resolveTarget(runtime, label, stats, { namespace, key: (k: KeyPart) => k, store: storeName, tags: tags === undefined ? undefined : [...tags], ttl }, undefined);
  const plain = targetOf(undefined, undefined);
  const keyOf = (key: KeyPart): string => {
    if (typeof key !== 'string' && typeof key !== 'number') throw new TypeError(`runtime.cache('${namespace}'): key must be a string or a number; got ${quote(key)}`);
    return plain.keysOf([key]) as string;
  };
  let plainWrap: MethodCall | undefined;
  const compileWrap = (options: CacheWrapOptions<V> | undefined): MethodCall => {
    const o = checkKnownOptions(`runtime.cache('${namespace}').wrap`, options ?? {}, WRAP_OPTIONS) as CacheWrapOptions<V>;
    checkResilientReads(`runtime.cache('${namespace}').wrap`, o as Record<string, unknown>);
    const ttl = typeof o.ttl === 'function' ? undefined : o.ttl;
    const target = targetOf(o.tags, ttl);
    const cacheable: CacheableOptions = { ...o, ttl: o.ttl as Duration | TtlFunction | undefined, tags: o.tags === undefined ? undefined : [...o.tags] };
    const policy = resolveReadPolicy(label, [o, runtime.settings.reads]);
    return createCacheableCall(target, cacheable, (_key: KeyPart, loader: () => unknown) => loader(), policy, undefined, keyStateOf(runtime, namespace, storeName));
  };

  return {
    async get(key) {
      const full = keyOf(key);
      const queued = runtime.writeBehind?.pending(full);
      if (queued !== undefined && queued.merge === undefined) return queued.value as V;
      const versionKeys = [plain.namespaceVersionKey];
      const { entry, versions } = await plain.store.read(full, versionKeys);
      if (entry === undefined) return undefined;
      let fresh = isFresh(entry, versionKeys, versions);
      if (Array.isArray(fresh)) fresh = tagsStillCurrent(entry, fresh, await plain.store.readVersions(fresh));
      if (fresh !== true) return undefined;
      const age = ageOf(entry, scheduler.now());
      return age === 'fresh' || age === 'refresh' ? (entry.v as V) : undefined;
    },

    async set(key, value, options) {
      const o = checkKnownOptions(`runtime.cache('${namespace}').set`, options ?? {}, SET_OPTIONS) as CacheSetOptions;
      if (o.tags !== undefined && (!Array.isArray(o.tags) || o.tags.some((t) => typeof t !== 'string' || t === ''))) {
        throw new TypeError(`runtime.cache('${namespace}').set: tags must be an array of non-empty strings; got ${quote(o.tags)}`);
      }
      const target = o.tags === undefined && o.ttl === undefined ? plain : targetOf(o.tags, o.ttl);
      const ttlMs = target.ttlMs;
      const graceMs = o.grace === undefined ? undefined : parseDuration(o.grace, `runtime.cache('${namespace}').set: grace`);
      const policy = resolveReadPolicy(label, [{ grace: graceMs }, runtime.settings.reads]);
      const full = keyOf(key);
      const versionKeys = target.versionKeysOf([key]);
      try {
        const versions = await target.store.readVersions(versionKeys);
        const entry = entryOf(value, versionKeys, versions);
        await target.store.write(full, entry, stampLifetime(entry, policy, ttlMs, scheduler.now()));
        stats.sets++;
        if (runtime.events.has('set')) runtime.events.emit('set', { method: label, key: full, store: target.store.name });
      } catch (error) {
        runtime.report(error, { operation: 'write', method: label, key: full, step: 'set' }, stats);
        await runtime.drop(target.store, [full], [], label);
        throw new CacheWriteError(`runtime.cache('${namespace}').set: the store did not take '${full}' (the key was invalidated)`, { cause: error });
      }
    },

    async delete(key) {
      const full = keyOf(key);
      if (await runtime.drop(plain.store, [full], [], label)) {
        stats.invalidations++;
        if (runtime.events.has('invalidate')) runtime.events.emit('invalidate', { method: label, keys: [full], namespaces: [], tags: [] });
      }
    },

    wrap(key, loader, options) {
      if (typeof loader !== 'function') return Promise.reject(new TypeError(`runtime.cache('${namespace}').wrap: loader must be a function; got ${quote(loader)}`));
      let call: MethodCall;
      try {
        keyOf(key);
        call = options === undefined ? (plainWrap ??= compileWrap(undefined)) : compileWrap(options);
      } catch (error) {
        return Promise.reject(error);
      }
      return call(undefined, [key, loader]) as Promise<V>;
    },
  };
}
