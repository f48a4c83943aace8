import type { CacheableOptions } from '../options/cacheable.js';
import type { KeyScope, ReadResult, StoredEntry } from '../cache-store.js';
import type { EntryTarget } from './entry-target.js';
import { isFresh, tagsStillCurrent } from '../stores/entry-freshness.js';
import type { LockedRun } from './distributed-lock.js';
import { PendingEntries } from './pending-entries.js';
import { attemptsOf, combineQueued, runningWrite, unchangedSince, unsettledChain } from './queued-reads.js';
import { CACHEABLE_DEFAULTS } from '../defaults.js';
import type { ReadPolicy } from './read-policy.js';
import { ageOf } from './entry-lifetime.js';
import { createPopulate, type PartRead } from './populate-entry.js';
import { NO_PART } from './keys.js';
import { waitForLoad, type StaleValue, type WaitHooks } from './loader-deadlines.js';
import { currentScope } from './call-scope.js';
import { timedLoad } from './timed-load.js';
import { realScheduler } from '../write-behind/scheduler.js';

/** A compiled call: runs one invocation of a decorated method. */
export type MethodCall = (self: unknown, args: unknown[]) => Promise<unknown>;

/**
 * Per-key state of reads that outlives one compiled call: a method compiles once and owns its
 * own; `runtime.cache(namespace).wrap` compiles per call when given options, so the namespace
 * keeps one (else a Redis-backed key would forget its backoff between calls).
 */
export interface CallKeyState {
  /** Keys whose reload failed while a stale value was served: the time their next reload may start. */
  readonly backoff: Map<string, number>;
  /** Keys with a refresh-ahead reload running in this process. */
  readonly refreshing: Set<string>;
}

/**
 * Cache-aside. The hit path is synchronous on stores that can answer without I/O (memory,
 * a tiered L1 hit): one key build, one map lookup, one version compare. A miss runs the
 * method once per key (single-flight) and stores the result only if the key's generation
 * is still the one it read (its lease), so a write or invalidation that completed while
 * the method ran is never overwritten by the older value. A key with a write-behind write queued
 * in this runtime answers with the queued value (with `merge`, the stored value combined with the
 * queued ones: see `queued-reads.ts`) before any cache or bypass decision.
 *
 * Entries written with `grace` or `refreshAhead` carry times (see `entry-lifetime.ts`): a hit past
 * the refresh-after time starts one background reload under the lease; an entry past its TTL but
 * within its grace is reloaded, and served if the reload fails or passes its deadline
 * (`loader-deadlines.ts`), then served without reloading for `graceBackoff`.
 */
export function createCacheableCall(
  target: EntryTarget,
  options: CacheableOptions,
  original: (...args: any[]) => any,
  policy: ReadPolicy,
  distributedLock?: LockedRun,
  keyState: CallKeyState = { backoff: new Map(), refreshing: new Set() },
): MethodCall {
  const { runtime, store, stats, method } = target;
  const { condition, unless } = options;
  const cacheNull = options.cacheNull ?? CACHEABLE_DEFAULTS.cacheNull;
  const events = runtime.events;
  const scheduler = runtime.settings.scheduler ?? realScheduler;
  const readSync = store.readSync?.bind(store);
  const readLocal = store.readLocal?.bind(store);
  const unconfirmed = runtime.unconfirmed;
  const pendingEntries = PendingEntries.of(runtime);
  const parts = target.parts;
  const { backoff, refreshing } = keyState;
  /** The labels of this method's `load` events. */
  const labels = { method, namespace: target.namespace, store: store.name };

  /**
   * After the store could not be read: the copy the store keeps in this process (a tiered L1
   * copy), if it is within its grace, to serve should the method fail too.
   */
  const localStale = (key: string): StaleValue | undefined => {
    const entry = readLocal?.(key);
    return entry?.q !== undefined && scheduler.now() < entry.q ? { value: entry.v } : undefined;
  };

  /**
   * The store could not be read: the method runs (sharing no load, storing nothing), with the
   * local copy within grace as its stale fallback; a key backing off answers that copy at once.
   */
  const failedRead = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[]): unknown => {
    const stale = localStale(key);
    if (stale !== undefined) {
      const until = backoff.get(key);
      if (until !== undefined && scheduler.now() < until) return servedStale(key, stale.value, 'backoff');
    }
    return miss(self, args, key, versionKeys, undefined, stale);
  };

  /** Counts and announces a hit on `key`. @returns `value` */
  const hit = (key: string, value: unknown): unknown => {
    stats.hits++;
    if (events.has('hit')) events.emit('hit', { method, key, store: store.name });
    return value;
  };

  /** Counts and announces a read that skips the cache. */
  const bypassed = (key: string | undefined, reason: 'condition' | 'scope' | 'unconfirmed'): void => {
    stats.bypasses++;
    if (events.has('bypass')) events.emit('bypass', key === undefined ? { method, reason } : { method, key, reason });
  };

  const shouldStore = (value: unknown): boolean => (cacheNull || value != null) && !(unless && unless(value));

  /** Announces a stale value served within its grace. @returns `value` */
  const servedStale = (key: string, value: unknown, reason: 'error' | 'timeout' | 'backoff', error?: unknown): unknown => {
    stats.stale++;
    if (events.has('stale')) events.emit('stale', { method, key, store: store.name, reason, error });
    return value;
  };

  const populate = createPopulate(target, options, policy, scheduler);

  /**
   * Loads the key: runs the method and populates under the lease of `read` (nothing is stored
   * when the store could not be read). Callers that read the same generation and versions share
   * one load (and, with `distributedLock`, one per key across processes). `background`: no caller
   * waits for it (refresh-ahead).
   */
  const load = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult | undefined, background = false): Promise<unknown> => {
    const run = async () => {
      const value = await timedLoad(events, labels, 1, () => original.apply(self, args), background);
      if (backoff.size !== 0) backoff.delete(key);
      // a queued last-wins write owns the key until it is written; a merged one leaves the stored (database) value
      const queued = runtime.writeBehind?.pending(key);
      if (read !== undefined && shouldStore(value) && (queued === undefined || queued.merge !== undefined)) {
        try {
          await populate(key, read, versionKeys, value, args);
        } catch (error) {
          runtime.report(error, { operation: 'write', method, key }, stats);
        }
      }
      return value;
    };
    // The store could not be read: nothing tells this call from one that started before a write
    // (in any process) resolved, so it shares no load: it runs the method itself.
    if (read === undefined) return run();
    // Callers share a load only if they read the same generation and versions: a caller that read
    // after a write or invalidation never joins a load that started before it (older data).
    const flightKey = `${key}\u0000${read.entry?.g ?? ''}\u0000${read.versions.join()}`;
    return runtime.singleFlight.run(flightKey, async () => {
      if (distributedLock === undefined) return run();
      return distributedLock(key, run, async () => {
        const again = await store.read(key, versionKeys);
        const entry = again.entry;
        return entry !== undefined && isFresh(entry, versionKeys, again.versions) === true && ageOf(entry, scheduler.now()) === 'fresh'
          ? { value: entry.v }
          : undefined;
      });
    });
  };

  /**
   * A miss: load the key. With `stale` (an entry past its TTL, within its grace), a failed load or
   * one past its deadline answers the stale value, and a failure makes the key back off.
   */
  const miss = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult | undefined, stale?: StaleValue) => {
    stats.misses++;
    if (events.has('miss')) events.emit('miss', { method, key, store: store.name });
    const loading = load(self, args, key, versionKeys, read);
    if (stale !== undefined && policy.graceBackoffMs > 0) {
      loading.then(undefined, () => {
        const until = scheduler.now() + policy.graceBackoffMs;
        backoff.set(key, until);
        // the entry object this process reads again (memory, a tiered L1 copy) answers without the lookup
        if (stale.entry !== undefined) stale.entry.b = until;
      });
    }
    if (stale === undefined && policy.hardTimeoutMs === 0) return loading;
    const hooks: WaitHooks = {
      servedStale: (reason, error) => void servedStale(key, undefined, reason, error),
      timedOut: () => void stats.timeouts++,
      describe: () => `${method}: the method did not settle within its hardTimeout (${policy.hardTimeoutMs} ms) for key '${key}'`,
    };
    return waitForLoad(loading, stale, policy, scheduler, hooks);
  };

  /** Refresh-ahead: one background reload of the key per process, under the lease of `read`; its failure is reported. */
  const refreshAhead = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult) => {
    if (refreshing.has(key)) return;
    refreshing.add(key);
    stats.refreshes++;
    if (events.has('refresh')) events.emit('refresh', { method, key, store: store.name });
    load(self, args, key, versionKeys, read, true).then(
      () => refreshing.delete(key),
      (error) => {
        refreshing.delete(key);
        runtime.report(error, { operation: 'refresh', method, key }, stats);
      },
    );
  };

  /** An entry that carries times (grace, refresh-ahead): a hit, a hit that refreshes, or a reload with a stale fallback. */
  const timedEntry = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult, entry: StoredEntry): unknown => {
    const now = scheduler.now();
    switch (ageOf(entry, now)) {
      case 'fresh':
        return hit(key, entry.v);
      case 'refresh':
        if (policy.refreshAhead > 0) refreshAhead(self, args, key, versionKeys, read);
        return hit(key, entry.v);
      case 'stale': {
        if (now < entry.b!) return servedStale(key, entry.v, 'backoff');
        const until = backoff.size === 0 ? undefined : backoff.get(key);
        if (until !== undefined) {
          if (now < until) return servedStale(key, entry.v, 'backoff');
          backoff.delete(key);
        }
        return miss(self, args, key, versionKeys, read, { value: entry.v, entry });
      }
      default:
        return miss(self, args, key, versionKeys, read);
    }
  };

  /** A fresh entry (versions current): a hit, unless it carries times. */
  const serve = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult, entry: StoredEntry): unknown =>
    entry.s === undefined ? hit(key, entry.v) : timedEntry(self, args, key, versionKeys, read, entry);

  /** Serves an entry after checking tags that were not read with it (result tags). */
  const verifyTags = async (key: string, entry: StoredEntry, tagKeys: string[]) =>
    tagsStillCurrent(entry, tagKeys, await store.readVersions(tagKeys));

  /**
   * Decides a read: a fresh hit is the value itself (inside a `.then` a promise would cost the
   * caller two more ticks; the synchronous path wraps it), anything else a promise of the result.
   */
  const afterRead = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[], read: ReadResult): unknown => {
    const entry = read.entry;
    if (entry !== undefined) {
      const fresh = isFresh(entry, versionKeys, read.versions);
      if (fresh === true) return entry.s === undefined ? hit(key, entry.v) : timedEntry(self, args, key, versionKeys, read, entry);
      if (fresh !== false) {
        return verifyTags(key, entry, fresh).then(
          (ok) => (ok ? serve(self, args, key, versionKeys, read, entry) : miss(self, args, key, versionKeys, read)),
          (error) => {
            runtime.report(error, { operation: 'read', method, key }, stats);
            return failedRead(self, args, key, versionKeys);
          },
        );
      }
    }
    return miss(self, args, key, versionKeys, read);
  };

  const readAsync = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[]): Promise<unknown> =>
    store.read(key, versionKeys).then(
      (read) => afterRead(self, args, key, versionKeys, read),
      (error) => {
        runtime.report(error, { operation: 'read', method, key }, stats);
        return failedRead(self, args, key, versionKeys);
      },
    );

  /** The read of the stored value: the cache, or the method (a bypass while an invalidation or release of the key is unconfirmed). */
  const readStored = (self: unknown, args: unknown[], key: string, versionKeys: readonly string[]): unknown => {
    if ((unconfirmed.size !== 0 && unconfirmed.blocks(key, versionKeys)) || (pendingEntries.unreleasedCount !== 0 && pendingEntries.blocks(key))) {
      bypassed(key, 'unconfirmed');
      return callOriginal(original, self, args);
    }
    if (readSync !== undefined) {
      let read: ReadResult | undefined;
      try {
        read = readSync(key, versionKeys);
      } catch (error) {
        runtime.report(error, { operation: 'read', method, key }, stats);
        return failedRead(self, args, key, versionKeys);
      }
      if (read !== undefined) return afterRead(self, args, key, versionKeys, read);
    }
    return readAsync(self, args, key, versionKeys);
  };

  /**
   * A read of a key with a queued merged write: the stored value combined with the queued
   * values (see `queued-reads.ts`). Waits while a method call carrying them runs, and reads
   * again if one started (or the write settled) while the stored value was being fetched.
   */
  const mergedRead = async (self: unknown, args: unknown[], key: string, versionKeys: readonly string[]): Promise<unknown> => {
    for (;;) {
      const newest = runtime.writeBehind?.pending(key);
      if (newest === undefined) return readStored(self, args, key, versionKeys);
      if (newest.merge === undefined) return hit(key, newest.value);
      const chain = unsettledChain(newest);
      const running = runningWrite(chain);
      if (running !== undefined) {
        await running;
        continue;
      }
      const attempts = attemptsOf(chain);
      const stored = await readStored(self, args, key, versionKeys);
      if (runtime.writeBehind?.pending(key) === newest && unchangedSince(chain, attempts)) return combineQueued(stored, chain);
    }
  };

  /**
   * The read of a key by its part, from the store's key scope, with no full key built unless it is
   * a miss or an event needs it: taken only when nothing in this process blocks or answers the key
   * first (no queued write-behind write, no unconfirmed invalidation or release, no call scope).
   */
  const readPart = (self: unknown, args: unknown[], part: string | number, scope: KeyScope, versionKeys: readonly string[]): unknown => {
    let read: ReadResult;
    try {
      read = scope.readSync(part, versionKeys);
    } catch (error) {
      const key = parts!.keyOf(part);
      runtime.report(error, { operation: 'read', method, key }, stats);
      return failedRead(self, args, key, versionKeys);
    }
    const entry = read.entry;
    if (entry !== undefined && entry.s === undefined && isFresh(entry, versionKeys, read.versions) === true) {
      stats.hits++;
      if (events.has('hit')) events.emit('hit', { method, key: parts!.keyOf(part), store: store.name });
      return entry.v;
    }
    const lease: PartRead = { entry, versions: read.versions, part, scope };
    return afterRead(self, args, parts!.keyOf(part), versionKeys, lease);
  };

  return function cacheableCall(self, args) {
    if (condition !== undefined && !condition.apply(self, args)) {
      bypassed(undefined, 'condition');
      return callOriginal(original, self, args);
    }
    let key: string;
    let versionKeys: readonly string[];
    try {
      if (parts !== undefined) {
        const part = parts.partOf(args);
        versionKeys = target.versionKeysOf(args);
        if (part !== NO_PART) {
          const kind = parts.kindOf(part);
          const writeBehind = runtime.writeBehind;
          if (
            kind >= 0 &&
            (writeBehind === undefined || !writeBehind.hasPending) &&
            unconfirmed.size === 0 &&
            pendingEntries.unreleasedCount === 0 &&
            currentScope() === undefined
          ) {
            return Promise.resolve(readPart(self, args, part, parts.scopes[kind as 0 | 1], versionKeys));
          }
          key = parts.keyOf(part);
        } else {
          key = target.keysOf(args) as string;
        }
      } else {
        key = target.keysOf(args) as string;
        versionKeys = target.versionKeysOf(args);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    // A queued write is the newest value of the key: it goes before any cache or bypass decision.
    const writeBehind = runtime.writeBehind;
    if (writeBehind !== undefined && writeBehind.hasPending) {
      const queued = writeBehind.pending(key);
      if (queued !== undefined) {
        return queued.merge === undefined ? Promise.resolve(hit(key, queued.value)) : mergedRead(self, args, key, versionKeys);
      }
    }
    const scope = currentScope();
    if (scope !== undefined) {
      if (scope === 'bypass') {
        bypassed(key, 'scope');
        return callOriginal(original, self, args);
      }
      return reload(self, args, key, versionKeys);
    }
    return Promise.resolve(readStored(self, args, key, versionKeys));
  };

  /** `runtime.refresh()`: reads the key only for its lease, runs the method and stores the result. */
  async function reload(self: unknown, args: unknown[], key: string, versionKeys: readonly string[]): Promise<unknown> {
    let read: ReadResult | undefined;
    try {
      read = await store.read(key, versionKeys);
    } catch (error) {
      runtime.report(error, { operation: 'read', method, key }, stats);
    }
    stats.misses++;
    if (events.has('miss')) events.emit('miss', { method, key, store: store.name });
    const value = await timedLoad(events, labels, 1, () => original.apply(self, args));
    if (read !== undefined && shouldStore(value) && runtime.writeBehind?.pending(key) === undefined) {
      await populate(key, read, versionKeys, value, args).catch((error) => runtime.report(error, { operation: 'write', method, key }, stats));
    }
    return value;
  }
}

/** Runs the undecorated method and always returns a promise (a synchronous throw becomes a rejection). */
export function callOriginal(original: (...args: any[]) => any, self: unknown, args: unknown[]): Promise<unknown> {
  try {
    return Promise.resolve(original.apply(self, args));
  } catch (error) {
    return Promise.reject(error);
  }
}
