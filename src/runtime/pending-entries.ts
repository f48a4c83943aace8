import { PENDING_COUNTER_BITS, type CacheStore, type StoredEntry } from '../cache-store.js';
import type { PendingEntryHandle, WriteItem } from '../write-behind/write-item.js';
import type { CacheRuntime } from './cache-runtime.js';
import type { EntryTarget } from './entry-target.js';
import { newGeneration } from '../stores/generation.js';
import { writeTombstone } from './tombstones.js';

const COUNTER_SPAN = 2 ** PENDING_COUNTER_BITS;
/** A release with nothing left to wait for. */
const RELEASED: Promise<void> = Promise.resolve();

/**
 * The newest pending entry a runtime wrote for one key, while the key's write is queued. It
 * hangs off the key's write items (`item.pendingEntry`), not off a map by key: the item that
 * wrote it, a newer item of the key that took it over, and, while a newer item waits behind an
 * item in flight, both (see {@link PendingEntries}).
 */
export interface PendingRecord extends PendingEntryHandle {
  readonly key: string;
  readonly target: EntryTarget;
  /** The newest pending entry (`w: 1`) written for the key. */
  entry: StoredEntry;
  /** Whether `entry` carries the versions read at the call (else it cannot become an ordinary entry). */
  versionsKnown: boolean;
  /** Whether the store took `entry`. */
  stored: boolean;
  /** When the store last took it (ms). */
  storedAt: number;
  /** Where the store put `entry`, when written through its sync operations (their `write`'s answer; -1: unknown): the release's compare-and-set looks there first. */
  at: number;
  /** Writes of the entry still on their way to the store. */
  sending: number;
  /** Called when `sending` drops to 0 (a release waiting for them). */
  drained: (() => void) | undefined;
  /** A background retry or refresh is in flight. */
  busy: boolean;
  /** Set once the record is no longer the key's (released, or replaced by a record of another store); it left the list then. */
  removed: boolean;
  /** The record the store took before this one (the list of live records, oldest stored first). */
  older: PendingRecord | undefined;
  /** The record the store took after this one. */
  newer: PendingRecord | undefined;
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
 *
 * A key has at most one live record. It is found from the key's write items, with no lookup by
 * key on the hot path: the item's own (`item.pendingEntry`), else the one of the item in flight
 * before it (`previous`) or queued behind it (`next`), else, when several flushers may hold
 * writes of the key (two methods writing one key), the one of their items. A release that
 * leaves the record to a newer item of the key hands it over to that item. The live records
 * also form a list in the order the store last took them, which the refresh timer walks oldest
 * first.
 */
export class PendingEntries {
  private static readonly byRuntime = new WeakMap<CacheRuntime, PendingEntries>();
  /** This runtime's writer token: the high bits of its pending entries' generations. */
  readonly writer = Math.floor(Math.random() * 2 ** 32);
  private counter = Math.floor(Math.random() * COUNTER_SPAN);
  /** The live records, oldest stored first (`newer` links): the refresh timer's order. */
  private oldest: PendingRecord | undefined;
  /** The newest end of the list: a record the store just took moves here. */
  private newest: PendingRecord | undefined;
  private liveRecords = 0;
  /** Live records whose last write the store failed: retried by the timer. */
  private readonly failed = new Set<PendingRecord>();
  private readonly unreleased = new Map<string, EntryTarget>();
  private timer: NodeJS.Timeout | undefined;

  private constructor(private readonly runtime: CacheRuntime) {}

  /** The pending entries of `runtime`, created on first use. */
  static of(runtime: CacheRuntime): PendingEntries {
    let entries = PendingEntries.byRuntime.get(runtime);
    if (entries === undefined) PendingEntries.byRuntime.set(runtime, (entries = new PendingEntries(runtime)));
    return entries;
  }

  /** Pending entries held: keys whose queued write keeps a pending entry in the store (one record per key, released with the write). */
  get heldCount(): number {
    return this.liveRecords;
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
   * @param item the key's queued item the call went into (it holds the record from now on)
   * @param versions the namespace and tag versions read for the call, undefined if that read failed
   * @returns the key's record, its `entry` the one to send
   */
  begin(target: EntryTarget, item: WriteItem, key: string, value: unknown, versionKeys: readonly string[], versions: readonly number[] | undefined): PendingRecord {
    const entry: StoredEntry = versions === undefined ? { v: value, g: this.generation(), w: 1 } : { v: value, g: this.generation(), w: 1, n: versions[0] ?? 0 };
    if (versions !== undefined) {
      if (versionKeys.length > 1) {
        entry.t = {};
        for (let i = 1; i < versionKeys.length; i++) entry.t[versionKeys[i]!] = versions[i]!;
      }
    }
    // a new queued write supersedes a release still waiting for the store
    if (this.unreleased.size !== 0) this.unreleased.delete(key);
    let record = this.recordOf(item);
    if (record === undefined || record.target.store !== target.store) {
      if (record !== undefined) this.remove(record);
      record = {
        key,
        target,
        entry,
        versionsKnown: versions !== undefined,
        stored: false,
        storedAt: 0,
        at: -1,
        sending: 0,
        drained: undefined,
        busy: false,
        removed: false,
        older: this.newest,
        newer: undefined,
      };
      if (this.newest === undefined) this.oldest = record;
      else this.newest.newer = record;
      this.newest = record;
      this.liveRecords++;
      item.pendingEntry = record;
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
      this.failed.add(record);
      return;
    }
    record.stored = true;
    record.storedAt = Date.now();
    if (this.failed.size !== 0) this.failed.delete(record);
    // keep the records in the order the store last took them (refreshes go oldest first)
    if (this.newest !== record) {
      this.unlink(record);
      record.older = this.newest;
      record.newer = undefined;
      if (this.newest === undefined) this.oldest = record;
      else this.newest.newer = record;
      this.newest = record;
    }
  }

  /**
   * The key's live record, found from `item` (see the class comment), if any; `item` holds it
   * from then on.
   */
  private recordOf(item: WriteItem): PendingRecord | undefined {
    let record = item.pendingEntry as PendingRecord | undefined;
    if (record !== undefined && !record.removed) return record;
    record = item.previous?.pendingEntry as PendingRecord | undefined;
    if (record === undefined || record.removed) record = item.next?.pendingEntry as PendingRecord | undefined;
    if (record === undefined || record.removed) record = this.othersRecordOf(item);
    if (record !== undefined) item.pendingEntry = record;
    return record;
  }

  /** The live record held by another flusher's item of `item`'s key (two methods writing one key), if any. */
  private othersRecordOf(item: WriteItem): PendingRecord | undefined {
    const registry = this.runtime.writeBehind;
    if (registry === undefined || registry.flusherCount < 2) return undefined;
    for (const other of registry.unsettledOf(item.key)) {
      const record = other.pendingEntry as PendingRecord | undefined;
      if (record !== undefined && !record.removed) return record;
    }
    return undefined;
  }

  /** Whether any flusher's item of `key` holds a live record (a newer queued write took the key over). */
  private hasRecord(key: string): boolean {
    const items = this.runtime.writeBehind?.unsettledOf(key) ?? [];
    return items.some((item) => item.pendingEntry !== undefined && !item.pendingEntry.removed);
  }

  /**
   * A release leaves the key's record to the newer queued write of the key: that item holds it
   * from now on (it may not have written a pending entry of its own yet).
   */
  private handOver(item: WriteItem, record: PendingRecord | undefined): void {
    if (record === undefined) return;
    const newer = this.runtime.writeBehind?.newerThan(item);
    if (newer !== undefined && (newer.pendingEntry === undefined || newer.pendingEntry.removed)) newer.pendingEntry = record;
  }

  /** The record is no longer the key's: out of the list (and of the failed ones). */
  private remove(record: PendingRecord): void {
    record.removed = true;
    this.unlink(record);
    this.liveRecords--;
    if (this.failed.size !== 0) this.failed.delete(record);
  }

  private unlink(record: PendingRecord): void {
    const { older, newer } = record;
    if (older === undefined) this.oldest = newer;
    else older.newer = newer;
    if (newer === undefined) this.newest = older;
    else newer.older = older;
    record.older = record.newer = undefined;
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
   * compare-and-set per item, made at once through the store's sync operations (with no promise,
   * finding the entry where the call's write put it) or else sent at once and awaited together,
   * with no async frame per item; the other cases go through {@link release} each. Never rejects.
   */
  releaseAll(target: EntryTarget, items: readonly WriteItem[], written: boolean): Promise<void> {
    if (items.length === 1) return this.release(target, items[0]!, written);
    const done = this.putRightAll(target, items, written);
    for (const item of items) item.releasing = done;
    return done;
  }

  /** {@link releaseAll}'s work: a compare-and-set through a store's sync operations is made at once, the others are sent together and awaited. */
  private putRightAll(target: EntryTarget, items: readonly WriteItem[], written: boolean): Promise<void> {
    let others: Array<Promise<void>> | undefined;
    let sets: Array<Promise<boolean>> | undefined;
    let setItems: WriteItem[] | undefined;
    let setStores: CacheStore[] | undefined;
    for (const item of items) {
      const key = item.key;
      const record = written && item.merge === undefined ? this.recordOf(item) : undefined;
      if (record === undefined || record.sending > 0 || !record.stored || !record.versionsKnown) {
        (others ??= []).push(this.putRight(target, item, written));
        continue;
      }
      if (this.runtime.writeBehind?.newerThan(item) !== undefined) {
        this.handOver(item, record); // a newer queued write keeps its pending entry
        continue;
      }
      // putRight's compare-and-set, without waiting here (see there)
      this.remove(record);
      const store = record.target.store;
      const set = this.releaseSet(record, item);
      if (typeof set === 'boolean') {
        // the tombstone settles a set the store refused or failed (and reports if the store fails it too)
        if (!set) (others ??= []).push(this.tombstone(target, store, key));
        continue;
      }
      (sets ??= []).push(set);
      (setItems ??= []).push(item);
      (setStores ??= []).push(store);
    }
    if (sets !== undefined) return this.settleSets(target, sets, setItems!, setStores!, others);
    return others === undefined ? RELEASED : Promise.all(others).then(() => undefined);
  }

  /** The compare-and-sets {@link putRightAll} sent, awaited together; a refused or failed one is settled by a tombstone. */
  private async settleSets(
    target: EntryTarget,
    sets: Array<Promise<boolean>>,
    setItems: readonly WriteItem[],
    setStores: readonly CacheStore[],
    others: Array<Promise<void>> | undefined,
  ): Promise<void> {
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
    if (others !== undefined) await Promise.all(others);
  }

  private async putRight(target: EntryTarget, item: WriteItem, written: boolean): Promise<void> {
    const key = item.key;
    const record = item.merge === undefined ? this.recordOf(item) : undefined;
    if (item.merge === undefined && this.runtime.writeBehind?.newerThan(item) !== undefined) {
      this.handOver(item, record);
      return;
    }
    let store = target.store;
    if (record !== undefined) {
      this.remove(record);
      store = record.target.store;
      // a write of the pending entry still on its way must land first
      if (record.sending > 0) await new Promise<void>((resolve) => (record.drained = resolve));
      if (written && record.stored && record.versionsKnown) {
        try {
          if (await this.releaseSet(record, item)) return;
        } catch {
          // the tombstone below settles it (and reports if the store fails it too)
        }
      }
    }
    await this.tombstone(target, store, key);
  }

  /**
   * The compare-and-set that turns the key's pending entry into an ordinary entry of the value the
   * method wrote: the item's, which may be newer than the record's entry (a call coalesced into the
   * item whose own pending entry the flush overtook). The pending entry's generation was taken
   * before the database write: if the key still has it, nothing happened to the key since, and the
   * written value is current. Made at once through the store's sync operations (looking first where
   * the call's write put the entry), else sent; a store that throws at once refuses.
   */
  private releaseSet(record: PendingRecord, item: WriteItem): boolean | Promise<boolean> {
    const { n, t, g } = record.entry;
    const v = item.value;
    const entry: StoredEntry = t === undefined ? { v, g: newGeneration(), n } : { v, g: newGeneration(), n, t };
    const { store, sync, ttlMs } = record.target;
    try {
      return sync !== undefined ? sync.writeIf(item.key, entry, ttlMs, g, record.at) : store.writeIf(item.key, entry, ttlMs, g);
    } catch {
      return false;
    }
  }

  /** The release of `key` as a tombstone (this runtime's own pending entries included); retried until the store takes it. */
  private async tombstone(target: EntryTarget, store: CacheStore, key: string): Promise<void> {
    // a newer queued write of the key (accepted while this release waited for the store) wrote its
    // own pending entry, or is writing it: the newest accepted value, which a tombstone of this
    // writer would remove; that write's own release settles the key
    if (this.hasRecord(key)) {
      if (this.unreleased.get(key) === target) this.unreleased.delete(key);
      return;
    }
    try {
      await writeTombstone(store, key, this.runtime.settings.leaseMs, this.writer);
      if (this.unreleased.get(key) === target) this.unreleased.delete(key);
    } catch (error) {
      // the cache side of a write that reached its method: a failed write to the user, not an invalidation of theirs
      this.runtime.report(error, { operation: 'write', method: target.method, key, step: 'write-behind release' }, target.stats);
      if (this.hasRecord(key)) return; // a newer queued write of the key took over
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
    if (this.runtime.isClosed || (this.liveRecords === 0 && this.unreleased.size === 0)) {
      clearInterval(this.timer);
      this.timer = undefined;
      if (this.runtime.isClosed) return;
      return;
    }
    const retry = (record: PendingRecord) => {
      record.busy = true;
      this.put(record.key, record, record.entry)
        .catch((error: unknown) =>
          this.runtime.report(error, { operation: 'write', method: record.target.method, key: record.key, step: 'write-behind pending entry' }, record.target.stats),
        )
        .finally(() => (record.busy = false));
    };
    for (const record of this.failed) {
      if (record.removed) this.failed.delete(record);
      else if (!record.busy) retry(record);
    }
    const now = Date.now();
    // a retry that lands moves its record to the newest end: the walk stops at the first record young enough
    for (let record = this.oldest, next: PendingRecord | undefined; record !== undefined; record = next) {
      next = record.newer;
      if (!record.stored || record.busy) continue;
      if (now - record.storedAt < this.pendingTtl(record.target.ttlMs) / 3) break;
      retry(record);
    }
    for (const [key, target] of this.unreleased) void this.tombstone(target, target.store, key);
  }
}
