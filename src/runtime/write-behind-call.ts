import type { WriteBehindOptions } from '../options/write-behind.js';
import { RuntimeClosedError } from '../errors.js';
import { WriteBehindFlushers } from './write-behind-flushers.js';
import { valueOfCall } from './flusher-settings.js';
import type { MethodCall } from './cacheable-call.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';
import { PendingEntries, type PendingRecord } from './pending-entries.js';
import type { StoredEntry } from '../cache-store.js';
import { unregisteredClassWatcher } from './unregistered-class-warning.js';
import { MAX_ORIGINS, type WriteItem } from '../write-behind/write-item.js';

/**
 * Write-behind (write-back). A call:
 * 1. builds the key (a KeyBuildError rejects the call before anything is queued) and the value;
 * 2. waits for room in the queue by the `backpressure` policy;
 * 3. in durable mode, appends its arguments to the Redis Stream journal (a failure rejects the
 *    call, and nothing is queued);
 * 4. queues the write, coalesced with the key's queued write (last wins, or `merge`), so that
 *    `@Cacheable` reads of the key in this process see the queued value until it is written
 *    (with `merge`, combined with the stored value: see `queued-reads.ts`);
 * 5. last wins: writes the queued value to the cache as a pending entry (`w`) with a fresh
 *    generation, so a miss in flight cannot store the older database row over it and every
 *    process reads the queued value (see `pending-entries.ts`; a failed cache write is reported
 *    and retried, not thrown). With `merge` the cache is not written: the entry keeps the
 *    database value, and the flusher drops it once the merged write reached the method;
 * and resolves with undefined. The method itself runs later, in the flusher.
 * @throws DecoratorUsageError (when compiled) if `durable: true` and the store has no Redis client
 */
/** What an accepted call resolves with when nothing is left to wait for: one resolved promise, shared. */
const ACCEPTED: Promise<undefined> = Promise.resolve(undefined);

export function createWriteBehindCall(target: EntryTarget, options: WriteBehindOptions, plan: MethodPlan): MethodCall {
  const { runtime, store, stats, method } = target;
  const pendingEntries = PendingEntries.of(runtime);
  const merged = options.merge !== undefined;
  const flusher = WriteBehindFlushers.of(runtime).flusherFor(plan, target, options);
  const valueOf = valueOfCall(options);
  const { batchWith } = options;
  const events = runtime.events;
  const watch = unregisteredClassWatcher(method, store, 'queued');
  // a store that answers without I/O (a MemoryStore): the pending entry is written at once, with no promise of its own
  const sync = merged ? undefined : target.sync;
  const reportWrite = (error: unknown, key: string) =>
    // the versions belong to the pending entry this write stores: a failed write, not a failed read
    runtime.report(error, { operation: 'write', method, key, step: 'write-behind pending entry' }, stats);

  /** Steps 5 on, once the call is queued: writes the pending entry. Never rejects. */
  async function writePending(key: string, versionKeys: readonly string[], versions: Promise<readonly number[]>, item: WriteItem): Promise<undefined> {
    let read: readonly number[] | undefined;
    try {
      read = await versions;
    } catch (error) {
      reportWrite(error, key);
    }
    // the flush may have overtaken this call (its write reached the method and the key is being
    // released): a pending entry now would outlive the write (invalidations keep pending entries);
    // the call resolves once the release has put the key right
    if (item.releasing !== undefined || item.settled) {
      await item.releasing;
      return undefined;
    }
    const record = pendingEntries.begin(target, item, key, item.value, versionKeys, read);
    const entry = record.entry;
    try {
      await record.target.store.write(key, entry, pendingEntries.pendingTtl(record.target.ttlMs));
    } catch (error) {
      pendingFailed(key, record, entry, error);
      return undefined;
    }
    pendingStored(key, record, entry);
    return undefined;
  }

  /** The store took the call's pending entry: counted and announced as a set. */
  function pendingStored(key: string, record: PendingRecord, entry: StoredEntry): void {
    pendingEntries.landed(key, record, entry, true);
    stats.sets++;
    if (events.has('set')) events.emit('set', { method, key, store: store.name });
  }

  /** The store failed the call's pending entry: reported, and retried in the background. */
  function pendingFailed(key: string, record: PendingRecord, entry: StoredEntry, error: unknown): void {
    pendingEntries.landed(key, record, entry, false);
    reportWrite(error, key);
  }

  /** Step 5 through the store's sync operations, once the call is queued: writes the pending entry at once. Never rejects. */
  function writePendingNow(key: string, versionKeys: readonly string[], item: WriteItem): Promise<undefined> {
    // (see writePending) the flush overtook the call while it waited for room
    if (item.releasing !== undefined || item.settled) return item.releasing === undefined ? ACCEPTED : item.releasing.then(() => undefined);
    let read: readonly number[] | undefined;
    try {
      read = sync!.readVersions(versionKeys);
    } catch (error) {
      reportWrite(error, key);
    }
    const record = pendingEntries.begin(target, item, key, item.value, versionKeys, read);
    const entry = record.entry;
    try {
      record.at = sync!.write(key, entry, pendingEntries.pendingTtl(record.target.ttlMs));
    } catch (error) {
      pendingFailed(key, record, entry, error);
      return ACCEPTED;
    }
    pendingStored(key, record, entry);
    return ACCEPTED;
  }

  /**
   * Steps 2-4 when the call has to wait (durable mode: the journal; or no room), then
   * {@link writePending}.
   * @param admission the call's admission when it was asked already (memory mode), else undefined
   */
  async function queueAfterWaiting(
    self: unknown,
    args: unknown[],
    key: string,
    versionKeys: readonly string[],
    value: unknown,
    versions: Promise<readonly number[]> | undefined,
    admission: Promise<boolean> | undefined,
  ): Promise<undefined> {
    if (admission === undefined) {
      const started = flusher.start(self);
      if (started !== undefined) await started;
    }
    const admitted = admission ?? flusher.admit(key);
    const reserved = typeof admitted === 'boolean' ? admitted : await admitted;
    let id: string | undefined;
    if (flusher.journal !== undefined) {
      try {
        id = await flusher.journal.append(args);
      } catch (error) {
        if (reserved) flusher.unreserve();
        throw error;
      }
    }
    let item: WriteItem;
    try {
      item = flusher.enqueue(key, value, args, self, reserved, id);
    } catch (error) {
      if (id !== undefined) flusher.journal!.ack([id]);
      throw error;
    }
    stats.queued++;
    const capture = runtime.originCapturer;
    if (capture !== undefined) keepOrigin(item, capture);
    if (merged) return undefined; // the cache keeps the database value
    if (sync !== undefined) return writePendingNow(key, versionKeys, item);
    return writePending(key, versionKeys, versions!, item);
  }

  // Not an async function: in memory mode, with room, the call is queued synchronously; on a store
  // with sync operations (a MemoryStore) its pending entry is written at once too, and the call
  // resolves with one shared promise; otherwise only the pending-entry write waits (one small async
  // frame per call).
  return function writeBehindCall(self, args) {
    if (runtime.isClosed || flusher.isClosed) return Promise.reject(new RuntimeClosedError(`${method}: the cache runtime is closed`));
    let key: string;
    let versionKeys: readonly string[];
    let value: unknown;
    let versions: Promise<readonly number[]> | undefined;
    try {
      key = target.keysOf(args) as string;
      versionKeys = target.versionKeysOf(args);
      if (batchWith !== undefined && typeof (self as Record<string, unknown> | null | undefined)?.[batchWith] !== 'function') {
        throw new TypeError(`@WriteBehind ${method}: batchWith '${batchWith}' is not a method of the instance`);
      }
      value = valueOf(args);
      watch?.(value);
      // Read the namespace and tag versions while the call waits for room and the journal: one
      // round trip less before it resolves. Failures surface at the cache write.
      // (a store with sync operations is read when the entry is written, at once)
      versions = merged || sync !== undefined ? undefined : store.readVersions(versionKeys);
    } catch (error) {
      return Promise.reject(error);
    }
    let admission: Promise<boolean> | undefined;
    if (flusher.journal === undefined) {
      // memory mode: nothing to start; with room (or coalescing) the call is queued now
      let queued: WriteItem | Promise<boolean>;
      try {
        queued = flusher.enqueueWithRoom(key, value, args, self);
      } catch (error) {
        versions?.catch(() => undefined);
        return Promise.reject(error);
      }
      if (!(queued instanceof Promise)) {
        const item = queued;
        stats.queued++;
        const capture = runtime.originCapturer;
        if (capture !== undefined) keepOrigin(item, capture);
        if (merged) return ACCEPTED; // the cache keeps the database value
        if (sync !== undefined) return writePendingNow(key, versionKeys, item);
        return writePending(key, versionKeys, versions!, item);
      }
      admission = queued; // no room: the call waits for it, by the policy
    }
    // the call waits before it reads `versions`: a rejected read must not go unhandled meanwhile
    versions?.catch(() => undefined);
    return queueAfterWaiting(self, args, key, versionKeys, value, versions, admission);
  };
}

/**
 * Keeps what `capture` returns in the caller's context with the write (for the first
 * {@link MAX_ORIGINS} calls of an item; undefined is not kept); a throwing capture is ignored.
 */
function keepOrigin(item: WriteItem, capture: () => unknown): void {
  if (item.origins !== undefined && item.origins.length >= MAX_ORIGINS) return;
  let origin: unknown;
  try {
    origin = capture();
  } catch {
    return; // tracing must never fail a write
  }
  if (origin !== undefined) (item.origins ??= []).push(origin);
}
