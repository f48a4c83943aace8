import PQueue from 'p-queue';
import type { BackpressurePolicy, DeadLetter, OutagePolicy } from '../options/write-behind.js';
import { QueueFullError, RuntimeClosedError, WriteBehindFailedError } from '../errors.js';
import type { FlusherHost, FlusherStats } from './flusher-host.js';
import type { JournalEntry, JournalHost, RedisStreamJournal } from './redis-stream-journal.js';
import { RecentMap } from '../stores/structures/recent-map.js';
import { ReplayPass } from './replay-pass.js';
import { retryDelay } from './retry-backoff.js';
import type { TimerHandle, WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import { compareStreamIds, type WriteItem, type WriteUnit } from './write-item.js';

/** Where a flusher reports the keys it holds, for read-your-writes across every flusher of a runtime. */
export interface PendingIndex {
  setPending(key: string, item: WriteItem): void;
  clearPending(key: string, item: WriteItem): void;
}

/** Everything a flusher is built from, resolved from the decorator options. */
export interface FlusherSettings {
  /** `Class.method`. */
  method: string;
  /** The runtime the flusher reports to. */
  runtime: FlusherHost;
  /** The method's counters. */
  stats: FlusherStats;
  index: PendingIndex;
  /** The undecorated method. */
  original: (...args: any[]) => any;
  batchWith: string | undefined;
  merge: ((previous: any, next: any) => unknown) | undefined;
  /** The argument index that receives the merged value (`valueArg`, else the last). */
  valueArg: number | undefined;
  batchSize: number;
  intervalMs: number;
  concurrency: number;
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  /** What failures during an outage do: `'retry'` (never counted toward `attempts`) or `'dead-letter'` (counted like any). */
  onOutage: OutagePolicy;
  deadLetter: ((item: DeadLetter) => void | Promise<void>) | undefined;
  maxPending: number;
  backpressure: BackpressurePolicy;
  scheduler: WriteBehindScheduler;
  /** The full key of a call (replayed entries). @throws KeyBuildError */
  keyOf(args: unknown[]): string;
  /** The value of a call (replayed entries). */
  valueOf(args: unknown[]): unknown;
  /** `this` for replayed writes when known up front (a static method's class). */
  replaySelf: unknown;
  /** Builds the journal (durable mode). */
  journal: ((host: JournalHost) => RedisStreamJournal) | undefined;
  /**
   * Called once the item's method call succeeded (`written`) or the item was dead-lettered, before
   * it settles (before reads stop seeing the queued value): puts the cache entry of the key
   * right. Never rejects. See `runtime/pending-entries.ts`.
   */
  release?: (item: WriteItem, written: boolean) => Promise<void>;
}

/** Durable merge: journal entries one item may cover before they are compacted into one. */
export const COMPACT_ENTRIES_AT = 1_000;

interface RoomWaiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * The flusher of one decorated method: a per-key coalescing queue in front of a p-queue that
 * runs the method with a concurrency limit.
 *
 * - Items wait in `ready` until a batch is due: `batchSize` items are ready, `intervalMs` has
 *   passed since the first one, or a flush was asked for. They are taken only when p-queue has
 *   a free slot, so writes to a hot key keep coalescing while the database is busy.
 * - A write of a key whose previous write is in flight waits (`waiting`) until it settles:
 *   order per key is kept; different keys may be written in any order.
 * - A failed unit is retried after exponential backoff with full jitter (capped at
 *   `maxBackoffMs`); a failed batch is split in halves so a poison item ends up alone. Only
 *   poison failures count toward `attempts` (see {@link WriteBehindFlusher.isPoisonFailure}):
 *   during an outage every write keeps being retried, however long it lasts, and an item is
 *   dead-lettered only after failing alone `attempts` times while other writes succeed.
 * - `maxPending` bounds items held (ready, waiting, in flight or retrying, plus calls reserving
 *   room); `backpressure` says what a call does when it is reached.
 */
export class WriteBehindFlusher implements JournalHost {
  readonly journal: RedisStreamJournal | undefined;
  private readonly s: FlusherSettings;
  private readonly queue: PQueue;
  private readonly ready = new Map<string, WriteItem>();
  private readonly waiting = new Map<string, WriteItem>();
  private readonly inflight = new Map<string, WriteItem>();
  /** Every item not settled yet, in creation order (so the first key is the oldest). */
  private readonly unsettled = new Map<number, WriteItem>();
  /** Durable, last-wins: the newest entry id written per key, so an older replayed entry is not written over it. */
  private readonly recentlyWritten: RecentMap<string>;
  private readonly roomWaiters: RoomWaiter[] = [];
  /** flush() calls waiting: each for the `remaining` unsettled items whose seq is at most its own. */
  private readonly barriers: Array<{ seq: number; remaining: number; resolve(): void }> = [];
  private readonly retryTimers = new Map<TimerHandle, WriteUnit>();
  /** A logical clock that moves when an item is queued, a method call starts and an attempt fails (orders them for the poison rule). */
  private clock = 0;
  /** The last successful unit: when its method call started (on `clock`) and which keys it wrote. */
  private lastSuccess: { startedAt: number; keys: Set<string> } | undefined;
  /** Items whose attempt failed since the last success. */
  private readonly failedSinceSuccess = new Set<WriteItem>();
  /** Replayed entry ids -> the recovery passes that claimed them (several after a compaction). */
  private readonly replayPasses = new Map<string, ReplayPass[]>();
  /** Writes given up at close (the database kept failing): left in the journal, or dead-lettered. */
  private givenUpAtClose = 0;
  private closing = false;
  private reserved = 0;
  private seq = 0;
  private flushDue = false;
  private batchTimer: TimerHandle | undefined;
  private kickTimer: TimerHandle | undefined;
  private replaying = 0;
  private started: Promise<void> | undefined;
  private firstPass: ReplayPass | undefined;
  private instance: unknown;
  private closed = false;

  constructor(settings: FlusherSettings) {
    this.s = settings;
    this.recentlyWritten = new RecentMap<string>(settings.maxPending);
    this.instance = settings.replaySelf;
    this.queue = new PQueue({ concurrency: settings.concurrency });
    this.queue.on('next', () => this.pump());
    this.journal = settings.journal?.(this);
  }

  /** Items held: ready, waiting, in flight or retrying, plus calls holding a reservation. Never above `maxPending`. */
  get size(): number {
    return this.ready.size + this.waiting.size + this.inflight.size + this.reserved;
  }

  /** Whether `close` was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Durable mode: starts the journal once (group, liveness, heartbeats, claim poll, first claim
   * pass) and remembers `self` as the instance that replays other processes' writes. Memory
   * mode: nothing.
   * @throws StoreError when Redis does not answer within the store's timeout (the next call tries again)
   */
  start(self: unknown): Promise<void> | undefined {
    if (this.journal === undefined) return undefined;
    if (this.instance === undefined && self !== undefined) this.instance = self;
    if (this.started === undefined) {
      const pass = new ReplayPass();
      this.started = this.journal.start(pass).then(
        (claimed) => {
          pass.claim(claimed);
          pass.finish();
          this.firstPass = pass;
        },
        (error) => {
          this.started = undefined;
          pass.finish();
          throw error;
        },
      );
    }
    return this.started;
  }

  /**
   * Durable mode: starts the journal with `self` as the replaying instance if it has not
   * started, else runs one more claim pass. Memory mode: an empty pass.
   * @returns the pass: what it claimed (the first pass, or this one), and what became of it
   */
  async recover(self: unknown): Promise<ReplayPass> {
    if (this.journal === undefined) {
      const empty = new ReplayPass();
      empty.finish();
      return empty;
    }
    if (this.started === undefined || this.firstPass === undefined) {
      await this.start(self);
      return this.firstPass!;
    }
    await this.started;
    const pass = new ReplayPass();
    try {
      pass.claim(await this.journal.recover(pass));
    } finally {
      pass.finish();
    }
    return pass;
  }

  /**
   * Waits for room for a write of `key`, by the backpressure policy. A memory-mode write to a
   * key that is already queued needs no room (it coalesces).
   * @returns whether a slot was reserved (hand it to {@link enqueue} or give it back with {@link unreserve})
   * @throws QueueFullError with `backpressure: 'reject'`; RuntimeClosedError after close
   */
  admit(key: string): boolean | Promise<boolean> {
    if (this.closed) return Promise.reject(this.closedError());
    if (this.journal === undefined && (this.ready.has(key) || this.waiting.has(key))) return false;
    if (this.size < this.s.maxPending && this.roomWaiters.length === 0) {
      this.reserved++;
      return true;
    }
    if (this.s.backpressure === 'reject') {
      return Promise.reject(
        new QueueFullError(`${this.s.method}: ${this.s.maxPending} writes are queued already (maxPending; backpressure: 'reject')`),
      );
    }
    if (this.s.backpressure === 'flush') this.requestFlush();
    return new Promise<boolean>((resolve, reject) => {
      this.roomWaiters.push({ resolve: () => resolve(true), reject });
    });
  }

  /** Gives back a reservation that was not used (the call failed before it was queued). */
  unreserve(): void {
    this.reserved--;
    this.grantRoom();
  }

  /**
   * Queues one call: coalesces it into the key's queued item (last wins, or `merge`), or starts
   * a new item. Consumes the call's reservation, if any.
   * @param id the call's journal entry id (durable mode)
   * @returns the item now holding the key's queued value
   * @throws whatever `merge` throws (the reservation is given back)
   */
  enqueue(key: string, value: unknown, args: unknown[], self: unknown, reserved: boolean, id?: string, replayed = false): WriteItem {
    const existing = this.ready.get(key) ?? this.waiting.get(key);
    if (existing !== undefined) {
      let merged: unknown;
      try {
        merged = this.s.merge ? this.s.merge(existing.value, value) : value;
      } catch (error) {
        if (reserved) this.unreserve();
        throw error;
      }
      if (reserved) this.unreserve();
      existing.value = merged;
      existing.args = this.s.merge ? this.withValue(args, merged) : args;
      existing.self = self;
      existing.calls++;
      if (id !== undefined) {
        if (this.s.merge) {
          existing.ids!.push(id);
          if (existing.ids!.length >= COMPACT_ENTRIES_AT && !existing.compacting) this.compact(existing);
        } else {
          // last wins: the older entries are no longer needed to rebuild the queued value
          this.countReplays(existing.ids!, 'superseded');
          this.journal!.ack(existing.ids!, key);
          existing.ids = [id];
        }
      }
      if (replayed && !existing.replayed) {
        existing.replayed = true;
        this.replaying++;
      }
      return existing;
    }
    if (reserved) this.reserved--;
    const item: WriteItem = {
      merge: this.s.merge,
      previous: this.inflight.get(key),
      key,
      seq: ++this.seq,
      value,
      args: this.s.merge ? this.withValue(args, value) : args,
      self,
      calls: 1,
      attempts: 0,
      failures: 0,
      lastFailedAt: ++this.clock,
      ids: id === undefined ? undefined : [id],
      state: this.inflight.has(key) ? 'waiting' : 'ready',
      replayed,
    };
    if (replayed) this.replaying++;
    this.unsettled.set(item.seq, item);
    this.s.index.setPending(key, item);
    if (item.state === 'waiting') this.waiting.set(key, item);
    else {
      this.ready.set(key, item);
      this.onReady(false);
    }
    return item;
  }

  /** Resolves when every item queued before the call has settled (written or dead-lettered), and its journal entries are acknowledged. */
  async flush(): Promise<void> {
    if (this.unsettled.size > 0) {
      // every unsettled item was queued before this call (seqs only grow)
      const barrier = { seq: this.seq, remaining: this.unsettled.size, resolve: () => undefined as void };
      const done = new Promise<void>((resolve) => (barrier.resolve = resolve));
      this.barriers.push(barrier);
      this.pump();
      await done;
    }
    await this.journal?.drainAcks();
  }

  /**
   * Refuses new calls (and calls waiting for room), flushes, then stops timers and the journal.
   * Retries waiting for their backoff run at once, and from then on every failure counts toward
   * `retry.attempts` (an outage is no longer waited out): a write still failing after them is
   * left in the journal for another process to replay (durable mode) or dead-lettered (memory
   * mode), and reported. So close() takes at most the time of `retry.attempts` attempts with
   * backoff, plus a few journal commands under the store's deadline.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    for (const waiter of this.roomWaiters.splice(0)) waiter.reject(this.closedError());
    this.journal?.stopClaims();
    // calls that hold room are between admission and the queue (a journal append): let them in
    while (this.reserved > 0) await new Promise((resolve) => setImmediate(resolve));
    // retries waiting out an outage go now
    for (const [timer, unit] of [...this.retryTimers]) {
      this.s.scheduler.clearTimer(timer);
      this.retryTimers.delete(timer);
      this.submit(unit);
    }
    await this.flush();
    this.s.scheduler.clearTimer(this.batchTimer);
    this.s.scheduler.clearTimer(this.kickTimer);
    this.batchTimer = this.kickTimer = undefined;
    if (this.givenUpAtClose > 0) {
      const where = this.journal === undefined ? 'dead-lettered' : 'left in the journal for another process to replay';
      this.report(
        new WriteBehindFailedError(`${this.s.method}: ${this.givenUpAtClose} writes still failed at close (the database kept failing); ${where}`),
        'shutdown',
      );
    }
    await this.journal?.close();
  }

  // ---- JournalHost ----

  room(): number {
    return Math.max(0, this.s.maxPending - this.size);
  }

  replaysOutstanding(): number {
    return this.replaying;
  }

  report(error: unknown, operation: string, key?: string): void {
    this.s.runtime.report(error, { operation, method: this.s.method, key }, this.s.stats);
  }

  keyOf(args: unknown[]): string {
    return this.s.keyOf(args);
  }

  compacted(replaced: readonly string[], id: string): void {
    const first = replaced[0];
    for (const item of this.unsettled.values()) {
      if (first === undefined || !item.ids?.includes(first)) continue;
      this.swapCompacted(item, replaced, id);
      return;
    }
    this.journal!.ack([id]); // the item was written meanwhile: the merged entry is not needed
  }

  /**
   * Queues entries of another process (claimed after its crash), oldest first, with `this` of
   * this process; they are flushed at once (they are old already). An entry that cannot be
   * decoded, has no valid key, or whose `merge` throws goes to `deadLetter`; one older than a
   * write of its key queued or written here is dropped (last wins; the check against every
   * process's writes is made in Redis before the method runs).
   */
  replay(entries: JournalEntry[], pass?: unknown): void {
    const tracker = pass instanceof ReplayPass ? pass : undefined;
    let queued = 0;
    for (const entry of entries) {
      if ('error' in entry) {
        tracker?.count('deadLettered');
        this.replayDeadLetter(entry.id, undefined, [], new WriteBehindFailedError(`${this.s.method}: journal entry ${entry.id} cannot be decoded`, { cause: entry.error }));
        continue;
      }
      let key: string;
      let value: unknown;
      try {
        key = this.s.keyOf(entry.args);
        value = this.s.valueOf(entry.args);
      } catch (error) {
        tracker?.count('deadLettered');
        this.replayDeadLetter(entry.id, undefined, entry.args, new WriteBehindFailedError(`${this.s.method}: journal entry ${entry.id} has no valid key`, { cause: error }));
        continue;
      }
      if (this.s.merge === undefined && this.isOlderThanQueuedOrWritten(key, entry.id)) {
        tracker?.count('superseded');
        this.journal!.ack([entry.id], key); // a newer write of the key is queued or written already
        continue;
      }
      try {
        this.enqueue(key, value, entry.args, this.instance, false, entry.id, true);
        this.s.stats.queued++;
        queued++;
        if (tracker !== undefined) this.replayPasses.set(entry.id, [tracker]);
      } catch (error) {
        tracker?.count('deadLettered');
        this.replayDeadLetter(entry.id, key, entry.args, new WriteBehindFailedError(`${this.s.method}: merge threw for journal entry ${entry.id}`, { cause: error }));
      }
    }
    if (queued > 0) this.requestFlush();
  }

  // ---- the queue ----

  private withValue(args: unknown[], value: unknown): unknown[] {
    const copy = args.slice();
    const index = this.s.valueArg ?? Math.max(0, copy.length - 1);
    copy[index] = value;
    return copy;
  }

  private isOlderThanQueuedOrWritten(key: string, id: string): boolean {
    for (const item of [this.waiting.get(key), this.ready.get(key), this.inflight.get(key)]) {
      const newest = item?.ids?.[item.ids.length - 1];
      if (newest !== undefined && compareStreamIds(id, newest) < 0) return true;
    }
    const written = this.recentlyWritten.get(key);
    return written !== undefined && compareStreamIds(id, written) < 0;
  }

  /**
   * A new item is ready: start the batch timer, or flush if a batch is full or a flush is due.
   * From a call, the flush waits for the scheduler's next turn (the method never runs inside the
   * caller's call); after a write settled, it starts at once.
   */
  private onReady(afterSettle: boolean): void {
    const due = this.ready.size >= this.s.batchSize || this.flushDue || this.barriers.length > 0;
    if (due && afterSettle) {
      this.pump();
    } else if (due) {
      this.kickTimer ??= this.s.scheduler.setTimer(() => {
        this.kickTimer = undefined;
        this.pump();
      }, 0);
    } else if (this.batchTimer === undefined) {
      this.batchTimer = this.s.scheduler.setTimer(() => {
        this.batchTimer = undefined;
        this.flushDue = true;
        this.pump();
      }, this.s.intervalMs);
    }
  }

  /** Flush everything ready now (backpressure 'flush'). */
  private requestFlush(): void {
    this.flushDue = true;
    this.pump();
  }

  /** Hands due items to p-queue while it has a free slot. */
  private pump(): void {
    const { batchSize, concurrency, batchWith } = this.s;
    while (this.ready.size > 0 && this.queue.size + this.queue.pending < concurrency) {
      const due = this.flushDue || this.barriers.length > 0;
      if (!due) {
        if (this.ready.size < batchSize) break;
        // per-item mode: a full batch starts a drain of everything ready
        if (batchWith === undefined) this.flushDue = true;
      }
      const items = this.take(batchWith === undefined ? 1 : batchSize);
      if (items.length === 0) break; // every ready item is being compacted
      this.submit({ items });
    }
    if (this.ready.size === 0) {
      this.flushDue = false;
      this.s.scheduler.clearTimer(this.batchTimer);
      this.batchTimer = undefined;
    } else if (this.batchTimer === undefined && !this.flushDue) {
      this.batchTimer = this.s.scheduler.setTimer(() => {
        this.batchTimer = undefined;
        this.flushDue = true;
        this.pump();
      }, this.s.intervalMs);
    }
  }

  /**
   * Durable merge: replaces the item's journal entries by one entry with its merged arguments,
   * so a hot counter's journal stays small while the database is down. The item is not taken
   * for a write until the swap is done.
   */
  private compact(item: WriteItem): void {
    const replaced = item.ids!.slice();
    item.compacting = true;
    this.journal!.compact(item.args, replaced).then(
      (id) => this.swapCompacted(item, replaced, id),
      (error) => this.report(error, 'journal-compact', item.key),
    ).finally(() => {
      item.compacting = false;
      if (item.state === 'ready') this.pump();
    });
  }

  /** The item's entries `replaced` are now one entry `id` (a compaction went through). */
  private swapCompacted(item: WriteItem, replaced: readonly string[], id: string): void {
    const gone = new Set(replaced);
    item.ids = [id, ...item.ids!.filter((x) => !gone.has(x))];
    const passes = replaced.flatMap((r) => this.replayPasses.get(r) ?? []);
    for (const r of replaced) this.replayPasses.delete(r);
    if (passes.length) this.replayPasses.set(id, passes);
  }

  private take(n: number): WriteItem[] {
    const items: WriteItem[] = [];
    for (const item of this.ready.values()) {
      if (items.length === n) break;
      if (!item.compacting) items.push(item);
    }
    for (const item of items) {
      this.ready.delete(item.key);
      item.state = 'inflight';
      this.inflight.set(item.key, item);
    }
    return items;
  }

  private submit(unit: WriteUnit): void {
    void this.queue.add(() => this.run(unit));
  }

  /** Runs the method for a unit. Never throws: every outcome is handled here. */
  private async run(unit: WriteUnit): Promise<void> {
    const items = await this.withoutSuperseded(unit.items);
    if (items.length === 0) return;
    unit = { items };
    // From here until the items settle (or the call fails) the database may or may not hold
    // them: a merged read of their keys waits (see runtime/queued-reads.ts).
    let endRun!: () => void;
    const running = new Promise<void>((resolve) => (endRun = resolve));
    for (const item of items) item.running = running;
    const ended = () => {
      for (const item of items) if (item.running === running) item.running = undefined;
      endRun();
    };
    // runtime replacement (configureCache): the replaced runtime's queued writes run first
    const predecessor = this.s.runtime.predecessorDone;
    if (predecessor !== undefined) await predecessor;
    unit.startedAt = ++this.clock;
    try {
      if (this.s.batchWith !== undefined) {
        const self = items[0]!.self as Record<string, unknown> | undefined;
        const batchMethod = self?.[this.s.batchWith];
        if (typeof batchMethod !== 'function') {
          throw new TypeError(`${this.s.method}: batchWith '${this.s.batchWith}' is not a method of the instance`);
        }
        await batchMethod.call(self, items.map((i) => i.args));
      } else {
        const item = items[0]!;
        await this.s.original.apply(item.self, item.args);
      }
    } catch (error) {
      ended();
      await this.failed(unit, error);
      return;
    }
    await this.succeeded(unit);
    ended();
  }

  /**
   * Durable, last wins: drops (acknowledges and settles) the items of which any process has
   * accepted a newer write since, asking Redis (stream ids give every accepted write one
   * global order). A newer write lands after it, so the older one must not reach the database
   * after it. When Redis cannot answer, the items are written as they are.
   * @returns the items still to write
   */
  private async withoutSuperseded(items: WriteItem[]): Promise<WriteItem[]> {
    if (this.journal === undefined || this.s.merge !== undefined) return items;
    let superseded: Set<number>;
    try {
      superseded = await this.journal.superseded(items.map((i) => ({ key: i.key, id: i.ids![i.ids!.length - 1]! })));
    } catch {
      return items;
    }
    if (superseded.size === 0) return items;
    const kept: WriteItem[] = [];
    const dropped: WriteItem[] = [];
    items.forEach((item, i) => {
      if (!superseded.has(i)) {
        kept.push(item);
        return;
      }
      dropped.push(item);
    });
    // a newer write of the key lands instead: the cache entry is put right as for a write given up
    for (const item of dropped) {
      this.countReplays(item.ids!, 'superseded');
      this.journal!.ack(item.ids!, item.key);
      await this.s.release?.(item, false);
      this.settle(item);
    }
    return kept;
  }

  private async succeeded(unit: WriteUnit): Promise<void> {
    const { stats, runtime, method, release } = this.s;
    // the cache entries are put right before the queued values stop being served
    if (release !== undefined) await Promise.all(unit.items.map((item) => release(item, true)));
    this.lastSuccess = { startedAt: unit.startedAt ?? 0, keys: new Set(unit.items.map((i) => i.key)) };
    this.failedSinceSuccess.clear();
    let calls = 0;
    for (const item of unit.items) calls += item.calls;
    stats.flushed += calls;
    if (runtime.events.has('flush')) runtime.events.emit('flush', { method, items: unit.items.length });
    for (const item of unit.items) {
      if (item.ids !== undefined) {
        if (this.s.merge === undefined) this.recentlyWritten.set(item.key, item.ids[item.ids.length - 1]!);
        this.countReplays(item.ids, 'replayed');
        this.journal!.ack(item.ids, item.key);
      }
      this.settle(item);
    }
  }

  private async failed(unit: WriteUnit, error: unknown): Promise<void> {
    const { stats, runtime, method, attempts } = this.s;
    const { items } = unit;
    const poison = this.isPoisonFailure(unit);
    const now = ++this.clock;
    for (const item of items) {
      item.lastFailedAt = now;
      item.failures++;
      if (poison) item.attempts++;
      if (this.closing) item.closingFailures = (item.closingFailures ?? 0) + 1;
      this.failedSinceSuccess.add(item);
    }
    if (items.length === 1) {
      const item = items[0]!;
      if (item.attempts >= attempts) {
        // closing, a durable write is never dropped on the poison rule's word: an outage that
        // began right after a success looks like poison to a write failing alone. It stays in the
        // journal; the process that replays it dead-letters it if it really is poison.
        if (this.closing && item.ids !== undefined) await this.giveUpAtClose(item, error);
        else await this.deadLetter(item, error);
        return;
      }
      if ((item.closingFailures ?? 0) >= attempts) {
        await this.giveUpAtClose(item, error);
        return;
      }
    }
    for (const item of items) {
      stats.retries++;
      if (runtime.events.has('retry')) runtime.events.emit('retry', { method, key: item.key, attempt: item.failures, error });
    }
    const round = (item: WriteItem) => (this.closing ? (item.closingFailures ?? 1) : item.failures);
    if (items.length === 1) {
      this.retryLater(unit, round(items[0]!));
      return;
    }
    // split the batch so that a poison item ends up alone and the others get written
    const half = Math.ceil(items.length / 2);
    const at = Math.max(...items.map(round));
    this.retryLater({ items: items.slice(0, half) }, at);
    this.retryLater({ items: items.slice(half) }, at);
  }

  /**
   * Whether a failed attempt counts toward `retry.attempts`: the item is poison, not the
   * database down. The rule: the last successful method call of this flusher wrote other keys,
   * started after every item of the unit last failed (or was queued), and no other item has
   * failed since. So a write that keeps failing while writes started between its attempts
   * succeed is poison; while every recent attempt fails (an outage, whatever its length), and
   * while the item is the only write (nothing tells it from an outage), nothing counts and
   * nothing is dead-lettered: one attempt at most counts per success seen between failures.
   * With `retry.onOutage: 'dead-letter'` every failure counts.
   */
  private isPoisonFailure(unit: WriteUnit): boolean {
    if (this.s.onOutage === 'dead-letter') return true;
    const last = this.lastSuccess;
    if (last === undefined) return false;
    for (const item of unit.items) if (last.startedAt <= item.lastFailedAt || last.keys.has(item.key)) return false;
    for (const failed of this.failedSinceSuccess) if (!unit.items.includes(failed)) return false;
    return true;
  }

  private retryLater(unit: WriteUnit, attempt: number): void {
    const { scheduler, backoffMs, maxBackoffMs } = this.s;
    const delay = retryDelay(attempt, backoffMs, maxBackoffMs, scheduler.random?.bind(scheduler) ?? Math.random);
    const timer = scheduler.setTimer(() => {
      this.retryTimers.delete(timer);
      this.submit(unit);
    }, delay);
    this.retryTimers.set(timer, unit);
  }

  /**
   * Closing, and the item failed `retry.attempts` more times: durable mode leaves it in the
   * journal (not acknowledged: another process replays it); memory mode dead-letters it.
   */
  private async giveUpAtClose(item: WriteItem, error: unknown): Promise<void> {
    this.givenUpAtClose++;
    if (item.ids === undefined) {
      await this.deadLetter(item, error);
      return;
    }
    this.countReplays(item.ids, 'left');
    await this.s.release?.(item, false);
    this.settle(item);
  }

  /** Counts the replayed entries among `ids` as settled with `outcome` in the passes that claimed them. */
  private countReplays(ids: readonly string[], outcome: 'replayed' | 'superseded' | 'deadLettered' | 'left'): void {
    if (this.replayPasses.size === 0) return;
    for (const id of ids) {
      const passes = this.replayPasses.get(id);
      if (passes === undefined) continue;
      this.replayPasses.delete(id);
      for (const pass of passes) pass.count(outcome);
    }
  }

  /** A replayed entry that cannot be queued: to `deadLetter` (or reported), then acknowledged. */
  private replayDeadLetter(id: string, key: string | undefined, args: unknown[], error: WriteBehindFailedError): void {
    const { stats, runtime, method, deadLetter } = this.s;
    stats.deadLetters++;
    if (runtime.events.has('deadLetter')) runtime.events.emit('deadLetter', { method, key: key ?? '', error });
    const handed =
      deadLetter === undefined
        ? Promise.resolve(this.report(new WriteBehindFailedError(`${error.message}; it is dropped (no deadLetter handler)`, { cause: error.cause }), 'replay', key))
        : Promise.resolve()
            .then(() => deadLetter({ method, key: key ?? '', args, attempts: 0, error }))
            .catch((handlerError) => this.report(new WriteBehindFailedError(`${error.message} and the deadLetter handler threw`, { cause: handlerError }), 'deadLetter', key));
    void handed.finally(() => this.journal!.ack([id], key));
  }

  private async deadLetter(item: WriteItem, error: unknown): Promise<void> {
    const { stats, runtime, method, deadLetter } = this.s;
    stats.deadLetters += item.calls;
    if (runtime.events.has('deadLetter')) runtime.events.emit('deadLetter', { method, key: item.key, error });
    const message = `${method}: the write of '${item.key}' failed ${item.failures} attempt${item.failures === 1 ? '' : 's'}`;
    if (deadLetter === undefined) {
      this.report(new WriteBehindFailedError(`${message}; it is dropped (no deadLetter handler)`, { cause: error }), 'flush', item.key);
    } else {
      try {
        await deadLetter({ method, key: item.key, args: item.args, attempts: item.failures, error });
      } catch (handlerError) {
        this.report(new WriteBehindFailedError(`${message} and the deadLetter handler threw`, { cause: handlerError }), 'deadLetter', item.key);
      }
    }
    if (item.ids !== undefined) {
      this.countReplays(item.ids, 'deadLettered');
      this.journal!.ack(item.ids, item.key);
    }
    await this.s.release?.(item, false);
    this.settle(item);
  }

  /** The item is done (written or dead-lettered): free its key and its room, release flush barriers. */
  private settle(item: WriteItem): void {
    item.settled = true;
    this.inflight.delete(item.key);
    this.unsettled.delete(item.seq);
    this.s.index.clearPending(item.key, item);
    const next = this.waiting.get(item.key);
    if (next !== undefined) {
      this.waiting.delete(item.key);
      next.state = 'ready';
      this.ready.set(item.key, next);
      this.onReady(true);
    }
    this.grantRoom();
    if (this.barriers.length) this.releaseBarriers(item.seq);
    if (item.replayed && --this.replaying === 0) this.journal?.replaysSettled();
  }

  /** Hands free room to the calls waiting for it, oldest first. */
  private grantRoom(): void {
    while (this.roomWaiters.length && this.size < this.s.maxPending) {
      this.reserved++;
      this.roomWaiters.shift()!.resolve();
    }
  }

  /**
   * Counts a settled item down on every barrier it was queued before, releasing those that
   * reach zero. A countdown, not a look at the oldest unsettled item: finding that in a Map
   * emptied from the front skips every deleted slot, which made a long flush quadratic.
   */
  private releaseBarriers(settledSeq: number): void {
    for (let i = 0; i < this.barriers.length; i++) {
      const barrier = this.barriers[i]!;
      if (settledSeq <= barrier.seq && --barrier.remaining === 0) {
        barrier.resolve();
        this.barriers.splice(i--, 1);
      }
    }
  }

  private closedError(): RuntimeClosedError {
    return new RuntimeClosedError(`${this.s.method}: the cache runtime is closed`);
  }
}
