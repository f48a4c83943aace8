import type { WriteBehindOptions } from '../options/write-behind.js';
import { RuntimeClosedError } from '../errors.js';
import { WriteBehindFlushers } from './write-behind-flushers.js';
import { valueOfCall } from './flusher-settings.js';
import type { MethodCall } from './cacheable-call.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';
import { PendingEntries } from './pending-entries.js';
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
export function createWriteBehindCall(target: EntryTarget, options: WriteBehindOptions, plan: MethodPlan): MethodCall {
  const { runtime, store, stats, method } = target;
  const pendingEntries = PendingEntries.of(runtime);
  const merged = options.merge !== undefined;
  const flusher = WriteBehindFlushers.of(runtime).flusherFor(plan, target, options);
  const valueOf = valueOfCall(options);
  const { batchWith } = options;
  const events = runtime.events;
  const watch = unregisteredClassWatcher(method, store, 'queued');

  return async function writeBehindCall(self, args) {
    if (runtime.isClosed || flusher.isClosed) throw new RuntimeClosedError(`${method}: the cache runtime is closed`);
    const key = target.keysOf(args) as string;
    const versionKeys = target.versionKeysOf(args);
    if (batchWith !== undefined && typeof (self as Record<string, unknown> | null | undefined)?.[batchWith] !== 'function') {
      throw new TypeError(`@WriteBehind ${method}: batchWith '${batchWith}' is not a method of the instance`);
    }
    const value = valueOf(args);
    watch?.(value);
    // Read the namespace and tag versions while the call waits for room and the journal: one
    // round trip less before it resolves. Failures surface at the cache write below.
    const versions = merged ? undefined : store.readVersions(versionKeys);
    versions?.catch(() => undefined);
    const started = flusher.start(self);
    if (started !== undefined) await started;
    const admitted = flusher.admit(key);
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
    let item;
    try {
      item = flusher.enqueue(key, value, args, self, reserved, id);
    } catch (error) {
      if (id !== undefined) flusher.journal!.ack([id]);
      throw error;
    }
    stats.queued++;
    const capture = runtime.originCapturer;
    if (capture !== undefined) keepOrigin(item, capture);
    if (versions === undefined) return undefined; // merge: the cache keeps the database value
    let read: readonly number[] | undefined;
    try {
      read = await versions;
    } catch (error) {
      // the versions belong to the pending entry this write stores: a failed write, not a failed read
      runtime.report(error, { operation: 'write', method, key, step: 'write-behind pending entry' }, stats);
    }
    // the flush may have overtaken this call (its write reached the method and the key is being
    // released): a pending entry now would outlive the write (invalidations keep pending entries);
    // the call resolves once the release has put the key right
    if (item.releasing !== undefined || item.settled) {
      await item.releasing;
      return undefined;
    }
    try {
      await pendingEntries.write(target, key, item.value, versionKeys, read);
      stats.sets++;
      if (events.has('set')) events.emit('set', { method, key, store: store.name });
    } catch (error) {
      runtime.report(error, { operation: 'write', method, key, step: 'write-behind pending entry' }, stats);
    }
    return undefined;
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
