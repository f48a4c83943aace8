import { PENDING_COUNTER_BITS, type CacheStore, type StoredEntry } from '../cache-store.js';
import type { WriteItem } from '../write-behind/write-item.js';
import type { CacheRuntime } from './cache-runtime.js';
import type { EntryTarget } from './entry-target.js';
import { newGeneration } from '../stores/generation.js';
import { writeTombstone } from './tombstones.js';

const COUNTER_SPAN = 2 ** PENDING_COUNTER_BITS;

/** The newest pending entry a runtime wrote for one key, while the key's write is queued. */
export interface PendingRecord {
  readonly target: EntryTarget;
  /** The newest pending entry (`w: 1`) written for the key. */
  entry: StoredEntry;
  /** Whether `entry` carries the versions read at the call (else it cannot become an ordinary entry). */
  versionsKnown: boolean;
  /** Whether the store took `entry`. */
  stored: boolean;
  /** When the store last took it (ms). */
  storedAt: number;
  /** Writes of the entry still on their way to the store. */
  sending: number;
  /** Called when `sending` drops to 0 (a release waiting for them). */
  drained: (() => void) | undefined;
  /** A background retry or refresh is in flight. */
  busy: boolean;
  /** Set once the record left `records` (released, or replaced by a record of another store). */
  removed: boolean;
}

/**
 * The cache side of queued write-behind writes (last wins; `merge` writes keep no entry, see
 * `queued-reads.ts`). While a write is queued, the shared store holds a *pending entry* of its
 * value (`w: 1`), so that every process reads the newest accepted value:
 * - it is served whatever namespace or tag versions say and kept by invalidations of the key
 *   (the queued write reaches the database after them); a populate from the method never
 *   replaces it (its lease is an older generation);
 * - it lives at least `max(ttl, leaseTtl)` and is refreshed while the write stays queued, so
 *   it outlives its TTL until the flush; a write the store failed is retried until it lands;
 * - its generation carries this runtime's writer token, so that only this runtime releases it.
 *
 * After the method ran, {@link release} (called by the flusher before the queued value stops
 * being served) turns the pending entry into an ordinary entry of the written value, if the
 * store still holds exactly it (a compare-and-set on its generation, taken before the database
 * write); otherwise, after a failed write, or with `merge`, the key is tombstoned (another
 * writer's pending entry is kept). A release the store fails is retried until it lands, and
 * meanwhile this process reads the key from the method, never from the cache.
 */
export class PendingEntries {
  private static readonly byRuntime = new WeakMap<CacheRuntime, PendingEntries>();
  /** This runtime's writer token: the high bits of its pending entries' generations. */
  readonly writer = Math.floor(Math.random() * 2 ** 32);
  private counter = Math.floor(Math.random() * COUNTER_SPAN);
  private readonly records = new Map<string, PendingRecord>();
  /** The record appended to `records` last (it is the last entry while it is not removed): a write it took needs no reordering. */
  private lastRecord: PendingRecord | undefined;
  private readonly failed = new Set<string>();
  private readonly unreleased = new Map<string, EntryTarget>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly runtime: CacheRuntime) {}

  /** The pending entries of `runtime`, created on first use. */
  static of(runtime: CacheRuntime): PendingEntries {
    let entries = PendingEntries.byRuntime.get(runtime);
    if (entries === undefined) PendingEntries.byRuntime.set(runtime, (entries = new PendingEntries(runtime)));
    return entries;
  }

  /** Keys whose release the store has not taken yet; a read of one bypasses the cache. */
  get unreleasedCount(): number {
    return this.unreleased.size;
  }

  /** Whether a read of `key` must bypass the cache (its release has not reached the store). */
  blocks(key: string): boolean {
    return this.unreleased.has(key);
  }

  /** How long a pending entry lives in the store unless refreshed: at least its TTL and the runtime's lease TTL. */
  pendingTtl(ttlMs: number): number {
    return Math.max(ttlMs, this.runtime.settings.leaseMs);
  }

  /**
   * Starts writing the pending entry of a write just queued for `key` (the value the key's queued
   * write now holds): makes the entry and the key's record. The caller sends `record.entry` to
   * `record.target.store` for {@link pendingTtl} of `record.target.ttlMs`, and hands the answer
   * to {@link landed}. (The call's own async function awaits the store: no frame of its own
   * here, for every queued write.) A failure is retried in the background until the store takes
   * it or the write is released.
   * @param versions the namespace and tag versions read for the call, undefined if that read failed
   * @returns the key's record, its `entry` the one to send
   */
  begin(target: EntryTarget, key: string, value: unknown, versionKeys: readonly string[], versions: readonly number[] | undefined): PendingRecord {
    const entry: StoredEntry = versions === undefined ? { v: value, g: this.generation(), w: 1 } : { v: value, g: this.generation(), w: 1, n: versions[0] ?? 0 };
    if (versions !== undefined) {
      if (versionKeys.length > 1) {
        entry.t = {};
        for (let i = 1; i < versionKeys.length; i++) entry.t[versionKeys[i]!] = versions[i]!;
      }
    }
    // a new queued write supersedes a release still waiting for the store
    if (this.unreleased.size !== 0) this.unreleased.delete(key);
    let record = this.records.get(key);
    if (record === undefined || record.target.store !== target.store) {
      if (record !== undefined) record.removed = true;
      record = { target, entry, versionsKnown: versions !== undefined, stored: false, storedAt: 0, sending: 0, drained: undefined, busy: false, removed: false };
      this.records.set(key, record);
      this.lastRecord = record;
    } else {
      record.entry = entry;
      record.versionsKnown = versions !== undefined;
      record.stored = false;
    }
    this.startTimer();
    record.sending++;
    return record;
  }

  /**
   * The store answered the write of `entry` begun by {@link begin} (or a retry): took it, or
   * failed (`taken: false`; retried in the background).
   */
  landed(key: string, record: PendingRecord, entry: StoredEntry, taken: boolean): void {
    if (--record.sending === 0 && record.drained !== undefined) {
      const drained = record.drained;
      record.drained = undefined;
      drained();
    }
    if (record.entry !== entry || record.removed) return;
    if (!taken) {
      record.stored = false;
      this.failed.add(key);
      return;
    }
    record.stored = true;
    record.storedAt = Date.now();
    if (this.failed.size !== 0) this.failed.delete(key);
    // keep the records in the order the store last took them (refreshes go oldest first)
    if (this.lastRecord !== record) {
      this.records.delete(key);
      this.records.set(key, record);
      this.lastRecord = record;
    }
  }

  /**
   * Puts the cache entry of `item`'s key right once its method call succeeded (`written`) or the
   * item was dead-lettered, before the queued value stops being served (see the class comment).
   * A newer queued write of the key (last wins) keeps its pending entry. Never rejects.
   */
  release(target: EntryTarget, item: WriteItem, written: boolean): Promise<void> {
    return (item.releasing = this.putRight(target, item, written));
  }

  /**
   * {@link release} for the items of one method call (a batch), with one promise for them all
   * (each item's `releasing`): the common case, a pending entry the store holds, is a
   * compare-and-set per item sent at once and awaited together, with no async frame per item;
   * the other cases go through {@link release} each. Never rejects.
   */
  releaseAll(target: EntryTarget, items: readonly WriteItem[], written: boolean): Promise<void> {
    if (items.length === 1) return this.release(target, items[0]!, written);
    const done = this.putRightAll(target, items, written);
    for (const item of items) item.releasing = done;
    return done;
  }

  private async putRightAll(target: EntryTarget, items: readonly WriteItem[], written: boolean): Promise<void> {
    let others: Array<Promise<void>> | undefined;
    const sets: Array<Promise<boolean>> = [];
    const setItems: WriteItem[] = [];
    const setStores: CacheStore[] = [];
    for (const item of items) {
      const key = item.key;
      const record = written && item.merge === undefined ? this.records.get(key) : undefined;
      if (record === undefined || record.sending > 0 || !record.stored || !record.versionsKnown) {
        (others ??= []).push(this.putRight(target, item, written));
        continue;
      }
      if (this.runtime.writeBehind?.hasNewerThan(item)) continue; // a newer queued write keeps its pending entry
      // putRight's compare-and-set, without waiting here (see there)
      this.records.delete(key);
      record.removed = true;
      if (this.failed.size !== 0) this.failed.delete(key);
      const { n, t } = record.entry;
      const v = item.value;
      const entry: StoredEntry = t === undefined ? { v, g: newGeneration(), n } : { v, g: newGeneration(), n, t };
      const store = record.target.store;
      let set: Promise<boolean>;
      try {
        set = store.writeIf(key, entry, record.target.ttlMs, record.entry.g);
      } catch {
        set = Promise.resolve(false);
      }
      sets.push(set);
      setItems.push(item);
      setStores.push(store);
    }
    if (sets.length !== 0) {
      let taken: boolean[] | undefined;
      try {
        taken = await Promise.all(sets);
      } catch {
        taken = undefined; // one failed: each is looked at below (all have settled handlers by now)
      }
      for (let i = 0; i < sets.length; i++) {
        let ok: boolean;
        if (taken !== undefined) ok = taken[i]!;
        else {
          try {
            ok = await sets[i]!;
          } catch {
            ok = false;
          }
        }
        // the tombstone settles a set the store refused or failed (and reports if the store fails it too)
        if (!ok) (others ??= []).push(this.tombstone(target, setStores[i]!, setItems[i]!.key));
      }
    }
    if (others !== undefined) await Promise.all(others);
  }

  private async putRight(target: EntryTarget, item: WriteItem, written: boolean): Promise<void> {
    const key = item.key;
    if (item.merge === undefined && this.runtime.writeBehind?.hasNewerThan(item)) return;
    const record = item.merge === undefined ? this.records.get(key) : undefined;
    let store = target.store;
    if (record !== undefined) {
      this.records.delete(key);
      record.removed = true;
      if (this.failed.size !== 0) this.failed.delete(key);
      store = record.target.store;
      // a write of the pending entry still on its way must land first
      if (record.sending > 0) await new Promise<void>((resolve) => (record.drained = resolve));
      if (written && record.stored && record.versionsKnown) {
        // the value the method wrote: the item's, which may be newer than the record's entry (a
        // call coalesced into the item whose own pending entry the flush overtook)
        const { n, t } = record.entry;
        const v = item.value;
        const entry: StoredEntry = t === undefined ? { v, g: newGeneration(), n } : { v, g: newGeneration(), n, t };
        try {
          // the pending entry's generation was taken before the database write: if the key
          // still has it, nothing happened to the key since, and the written value is current
          if (await store.writeIf(key, entry, record.target.ttlMs, record.entry.g)) return;
        } catch {
          // the tombstone below settles it (and reports if the store fails it too)
        }
      }
    }
    await this.tombstone(target, store, key);
  }

  /** The release of `key` as a tombstone (this runtime's own pending entries included); retried until the store takes it. */
  private async tombstone(target: EntryTarget, store: CacheStore, key: string): Promise<void> {
    try {
      await writeTombstone(store, key, this.runtime.settings.leaseMs, this.writer);
      if (this.unreleased.get(key) === target) this.unreleased.delete(key);
    } catch (error) {
      // the cache side of a write that reached its method: a failed write to the user, not an invalidation of theirs
      this.runtime.report(error, { operation: 'write', method: target.method, key, step: 'write-behind release' }, target.stats);
      if (this.records.has(key)) return; // a newer queued write of the key took over
      this.unreleased.set(key, target);
      this.startTimer();
    }
  }

  /** A fresh pending-entry generation: the writer token above a counter (never 0, below 2^53). */
  private generation(): number {
    this.counter = (this.counter + 1) % COUNTER_SPAN;
    return this.writer * COUNTER_SPAN + this.counter;
  }

  /** Sends `entry` (the record's newest) again: a background retry or refresh. */
  private async put(key: string, record: PendingRecord, entry: StoredEntry): Promise<void> {
    record.sending++;
    try {
      await record.target.store.write(key, entry, this.pendingTtl(record.target.ttlMs));
    } catch (error) {
      this.landed(key, record, entry, false);
      throw error;
    }
    this.landed(key, record, entry, true);
  }

  private startTimer(): void {
    if (this.timer !== undefined) return;
    const leaseMs = this.runtime.settings.leaseMs;
    const every = Math.max(20, Math.min(1_000, Math.floor(leaseMs / 3)));
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  /** Retries failed pending writes and releases, refreshes pending entries a third of their life old. */
  private tick(): void {
    if (this.runtime.isClosed || (this.records.size === 0 && this.unreleased.size === 0)) {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.runtime.isClosed) return;
      return;
    }
    const retry = (key: string, record: PendingRecord) => {
      record.busy = true;
      this.put(key, record, record.entry)
        .catch((error: unknown) => this.runtime.report(error, { operation: 'write', method: record.target.method, key, step: 'write-behind pending entry' }, record.target.stats))
        .finally(() => (record.busy = false));
    };
    for (const key of this.failed) {
      const record = this.records.get(key);
      if (record === undefined) this.failed.delete(key);
      else if (!record.busy) retry(key, record);
    }
    const now = Date.now();
    for (const [key, record] of this.records) {
      if (!record.stored || record.busy) continue;
      if (now - record.storedAt < this.pendingTtl(record.target.ttlMs) / 3) break;
      retry(key, record);
    }
    for (const [key, target] of this.unreleased) void this.tombstone(target, target.store, key);
  }
}
