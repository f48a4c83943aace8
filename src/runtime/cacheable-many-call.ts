/**
 * `@CacheableMany`: batch loading. Each id of `getMany(ids, ...rest)` is its own entry, read and
 * written exactly as `@Cacheable` reads and writes the entry of that one id:
 *
 * 1. keys: one per id (duplicates read once); a queued write-behind value of a key answers it;
 * 2. read: synchronously where the store can (memory, tiered L1), the rest in one `readMany`
 *    (one `MGET` on Redis), or one read each on a store without it;
 * 3. decide: a fresh entry is a hit; a miss joins a load of its key already in flight (from a
 *    batch or a single-id read that read the same generation), else it is this call's to load;
 * 4. load: the method runs once with this call's missed ids, in input order; each result is
 *    stored under its own lease (the generation its read saw) and handed to every caller waiting
 *    on its id. A rejected batch stores nothing and fails every caller waiting on its ids; a
 *    result that is neither an array aligned with the ids nor a Map fails them with a TypeError.
 *
 * Entries past their TTL are loaded again (a batch serves no stale value and starts no
 * refresh-ahead; the single-id `@Cacheable` of the same entries does).
 */
import type { CacheableManyOptions } from '../options/cacheable-many.js';
import type { CacheableOptions } from '../options/cacheable.js';
import type { ReadResult } from '../cache-store.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodCall } from './cacheable-call.js';
import type { ReadPolicy } from './read-policy.js';
import { isFresh, tagsStillCurrent } from '../stores/entry-freshness.js';
import { ageOf } from './entry-lifetime.js';
import { createPopulate } from './populate-entry.js';
import { currentScope } from './call-scope.js';
import { timedLoad } from './timed-load.js';
import { realScheduler } from '../write-behind/scheduler.js';
import { CACHEABLE_DEFAULTS, CACHEABLE_MANY_DEFAULTS } from '../defaults.js';
import { quote } from '../duration.js';

/** One distinct key of a batch and where its value goes. */
interface Slot {
  readonly id: unknown;
  readonly key: string;
  readonly versionKeys: readonly string[];
  /** Indexes of the input ids with this key. */
  readonly at: number[];
  read?: ReadResult;
}

/** A promise with its settle functions, for a load that callers join before the method runs. */
interface Deferred {
  readonly promise: Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

function deferred(): Deferred {
  let resolve!: (value: unknown) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<unknown>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Compiles `@CacheableMany` against its target. */
export function createCacheableManyCall(target: EntryTarget, options: CacheableManyOptions, original: (...args: any[]) => any, policy: ReadPolicy): MethodCall {
  const { runtime, store, stats, method } = target;
  const scheduler = runtime.settings.scheduler ?? realScheduler;
  const cacheNull = options.cacheNull ?? CACHEABLE_DEFAULTS.cacheNull;
  const unless = options.unless;
  const asMap = (options.result ?? CACHEABLE_MANY_DEFAULTS.result) === 'map';
  const events = runtime.events;
  const populate = createPopulate(target, options as CacheableOptions, policy, scheduler);
  const shouldStore = (value: unknown): boolean => (cacheNull || value != null) && !(unless && unless(value));
  const readSync = store.readSync?.bind(store);
  const labels = { method, namespace: target.namespace, store: store.name };

  const shape = (ids: readonly unknown[], values: readonly unknown[]): unknown => {
    if (!asMap) return values;
    const out = new Map<unknown, unknown>();
    ids.forEach((id, i) => {
      if (values[i] !== undefined) out.set(id, values[i]);
    });
    return out;
  };

  /** The method's answer for `ids`, aligned with them. @throws TypeError when it is neither an aligned array nor a Map */
  const align = (ids: readonly unknown[], result: unknown): unknown[] => {
    if (result instanceof Map) return ids.map((id) => result.get(id));
    if (Array.isArray(result)) {
      if (result.length !== ids.length) {
        throw new TypeError(`${method}: @CacheableMany asked for ${ids.length} ids and the method returned an array of ${result.length}; return one value per id, in order (or a Map)`);
      }
      return result;
    }
    throw new TypeError(`${method}: @CacheableMany expects the method to return an array aligned with the ids or a Map; got ${quote(result)}`);
  };

  const reads = async (slots: Slot[]): Promise<void> => {
    const pending: Slot[] = [];
    for (const slot of slots) {
      const sync = readSync?.(slot.key, slot.versionKeys);
      if (sync !== undefined) slot.read = sync;
      else pending.push(slot);
    }
    if (pending.length === 0) return;
    try {
      const results = store.readMany
        ? await store.readMany(pending.map((s) => s.key), pending.map((s) => s.versionKeys))
        : await Promise.all(pending.map((s) => store.read(s.key, s.versionKeys)));
      pending.forEach((slot, i) => (slot.read = results[i]));
    } catch (error) {
      // unread keys load without sharing and store nothing (as a single read that failed)
      runtime.report(error, { operation: 'read', method, key: pending[0]!.key }, stats);
    }
  };

  /** Whether a read answers its key: the value, undefined for a miss, or a promise of either when tags must be read first. */
  const hitOf = (slot: Slot): { value: unknown } | undefined | Promise<{ value: unknown } | undefined> => {
    const read = slot.read;
    const entry = read?.entry;
    if (read === undefined || entry === undefined) return undefined;
    const fresh = isFresh(entry, slot.versionKeys, read.versions);
    if (fresh === false) return undefined;
    const answer = () => {
      const age = entry.s === undefined ? 'fresh' : ageOf(entry, scheduler.now());
      return age === 'fresh' || age === 'refresh' ? { value: entry.v } : undefined;
    };
    if (fresh === true) return answer();
    return store.readVersions(fresh).then(
      (versions) => (tagsStillCurrent(entry, fresh, versions) ? answer() : undefined),
      (error) => {
        runtime.report(error, { operation: 'read', method, key: slot.key }, stats);
        slot.read = undefined;
        return undefined;
      },
    );
  };

  return async function cacheableManyCall(self, args) {
    const ids = args[0];
    if (!Array.isArray(ids)) throw new TypeError(`${method}: @CacheableMany expects an array of ids as the first argument; got ${quote(ids)}`);
    const rest = args.slice(1);
    const scope = currentScope();
    if (scope === 'bypass') {
      stats.bypasses++;
      if (events.has('bypass')) events.emit('bypass', { method, reason: 'scope' });
      return original.apply(self, args);
    }
    const values = new Array<unknown>(ids.length);
    const slots = new Map<string, Slot>();
    ids.forEach((id, i) => {
      const key = target.keysOf([id]) as string;
      const slot = slots.get(key);
      if (slot !== undefined) slot.at.push(i);
      else slots.set(key, { id, key, versionKeys: target.versionKeysOf([id]), at: [i] });
    });
    const put = (slot: Slot, value: unknown) => {
      for (const i of slot.at) values[i] = value;
    };

    // 1. a queued last-wins write-behind value is the newest value of its key
    const toRead: Slot[] = [];
    const writeBehind = runtime.writeBehind;
    for (const slot of slots.values()) {
      const queued = writeBehind?.hasPending ? writeBehind.pending(slot.key) : undefined;
      if (queued !== undefined && queued.merge === undefined) {
        stats.hits++;
        put(slot, queued.value);
      } else {
        toRead.push(slot);
      }
    }

    // 2-3. read, then hits, joins and this call's misses
    // (under runtime.refresh() the reads only take the leases: every id loads)
    await reads(toRead);
    const joins: Promise<void>[] = [];
    const mine: Array<{ slot: Slot; load: Deferred }> = [];
    for (const slot of toRead) {
      let found = scope === 'refresh' ? undefined : hitOf(slot);
      if (found instanceof Promise) found = await found;
      if (found !== undefined) {
        stats.hits++;
        if (events.has('hit')) events.emit('hit', { method, key: slot.key, store: store.name });
        put(slot, found.value);
        continue;
      }
      stats.misses++;
      if (events.has('miss')) events.emit('miss', { method, key: slot.key, store: store.name });
      const read = slot.read;
      const load = deferred();
      if (read !== undefined && scope !== 'refresh') {
        const flightKey = `${slot.key}\u0000${read.entry?.g ?? ''}\u0000${read.versions.join()}`;
        const shared = runtime.singleFlight.run(flightKey, () => load.promise);
        if (shared !== load.promise) {
          joins.push(shared.then((value) => put(slot, value)));
          continue;
        }
      }
      mine.push({ slot, load });
    }

    // 4. one method call for this call's misses
    if (mine.length !== 0) {
      const missedIds = mine.map((m) => m.slot.id);
      let loaded: unknown[];
      try {
        loaded = align(missedIds, await timedLoad(events, labels, missedIds.length, () => original.apply(self, [missedIds, ...rest])));
      } catch (error) {
        for (const m of mine) m.load.reject(error);
        throw error;
      }
      await Promise.all(
        mine.map(async ({ slot, load }, i) => {
          const value = loaded[i];
          put(slot, value);
          const queued = runtime.writeBehind?.pending(slot.key);
          if (slot.read !== undefined && shouldStore(value) && (queued === undefined || queued.merge !== undefined)) {
            try {
              await populate(slot.key, slot.read, slot.versionKeys, value, [slot.id]);
            } catch (error) {
              runtime.report(error, { operation: 'write', method, key: slot.key }, stats);
            }
          }
          load.resolve(value);
        }),
      );
    }
    await Promise.all(joins);
    return shape(ids, values);
  };
}
