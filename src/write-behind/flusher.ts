/**
 * The flusher of one `@WriteBehind` method: the scheduler of its queue. It decides when ready
 * items are written (batches, the interval, flushes), runs the method through p-queue, and
 * handles each outcome (success, retry with backoff, batch split, dead letter, give-up at
 * close), plus the durable journal's replay and compaction. What it schedules lives beside it:
 * items by state in item-states.ts, `maxPending` in admission.ts, `flush()` waits in
 * flush-barriers.ts, the poison rule in poison-rule.ts, its timers in one-shot-timer.ts.
 */
import PQueue from 'p-queue';
import { RuntimeClosedError, WriteBehindFailedError } from '../errors.js';
import type { JournalEntry, JournalHost, RedisStreamJournal } from './redis-stream-journal.js';
import { RecentMap } from '../stores/structures/recent-map.js';
import { ReplayPass } from './replay-pass.js';
import { retryDelay } from './retry-backoff.js';
import type { TimerHandle } from '../options/write-behind-scheduler.js';
import { compareStreamIds, originsOf, type WriteItem, type WriteUnit } from './write-item.js';
import { isQueuedState, ItemStates } from './item-states.js';
import { Admission } from './admission.js';
import { FlushBarriers } from './flush-barriers.js';
import { OneShotTimer } from './one-shot-timer.js';
import { PoisonRule } from './poison-rule.js';
import type { FlusherSettings } from './flusher-settings.js';

/** Does nothing. */
const noop = (): void => undefined;

/**
 * Marks `items` as carried by a method call that runs from now: until they settle (or the call
 * fails) the database may or may not hold them, so a merged read of their keys waits (see
 * runtime/queued-reads.ts; last-wins reads never look).
 * @returns what ends the mark (the call settled or failed)
 */
function markRunning(items: readonly WriteItem[]): () => void {
  let endRun!: () => void;
  const running = new Promise<void>((resolve) => (endRun = resolve));
  for (const item of items) item.running = running;
  return () => {
    for (const item of items) if (item.running === running) item.running = undefined;
    endRun();
  };
}

/** Durable merge: journal entries one item may cover before they are compacted into one. */
export const COMPACT_ENTRIES_AT = 1_000;

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
 *   poison failures count toward `attempts` (see {@link PoisonRule}):
 *   during an outage every write keeps being retried, however long it lasts, and an item is
 *   dead-lettered only after failing alone `attempts` times while other writes succeed.
 * - `maxPending` bounds items held (ready, waiting, in flight or retrying, plus calls reserving
 *   room); `backpressure` says what a call does when it is reached.
 */
export class WriteBehindFlusher implements JournalHost {
  readonly journal: RedisStreamJournal | undefined;
  private readonly s: FlusherSettings;
  private readonly queue: PQueue;
  /** Every unsettled item, by state. */
  private readonly items = new ItemStates();
  /** `maxPending`: reservations and calls waiting for room. */
  private readonly admission: Admission;
  /** flush() calls waiting. */
  private readonly barriers = new FlushBarriers();
  /** Counts toward `retry.attempts` only the failures that are the item's fault. */
  private readonly poison: PoisonRule;
  /** Durable, last-wins: the newest entry id written per key, so an older replayed entry is not written over it. */
  private readonly recentlyWritten: RecentMap<string>;
  private readonly retryTimers = new Map<TimerHandle, WriteUnit>();
  /** Replayed entry ids -> the recovery passes that claimed them (several after a compaction). */
  private readonly replayPasses = new Map<string, ReplayPass[]>();
  /** Writes given up at close (the database kept failing): left in the journal, or dead-lettered. */
  private givenUpAtClose = 0;
  private closing = false;
  /** The `seq` of the newest item of this flusher. */
  private seq = 0;
  private flushDue = false;
  /** `intervalMs` after the first item of a batch was ready: the batch is due. */
  private readonly batchTimer: OneShotTimer;
  /** The scheduler's next turn: a due batch starts (never inside the caller's call). */
  private readonly kickTimer: OneShotTimer;
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
    this.poison = new PoisonRule(settings.onOutage);
    this.admission = new Admission({
      method: settings.method,
      maxPending: settings.maxPending,
      backpressure: settings.backpressure,
      held: () => this.items.size,
      requestFlush: () => this.requestFlush(),
    });
    this.batchTimer = new OneShotTimer(settings.scheduler, settings.intervalMs, () => {
      this.flushDue = true;
      this.pump();
    });
    this.kickTimer = new OneShotTimer(settings.scheduler, 0, () => this.pump());
    this.journal = settings.journal?.(this);
  }

  /** Items held: ready, waiting, in flight or retrying, plus calls holding a reservation. Never above `maxPending`. */
  get size(): number {
    return this.admission.size;
  }

  /** `Class.method` of the flusher's method. */
  get method(): string {
    return this.s.method;
  }

  /** What the flusher holds now, for `runtime.inspect()`: writes pending, being written, and how old the oldest is (ms). */
  inspect(): { pending: number; inFlight: number; oldestPendingAgeMs: number } {
    const oldest = this.items.oldest;
    return {
      pending: this.items.size,
      inFlight: this.items.inFlightCount,
      oldestPendingAgeMs: oldest === undefined ? 0 : Math.max(0, this.s.scheduler.now() - oldest.queuedAt),
    };
  }

  /**
   * The newest unsettled item of `key` (queued, else in flight), if any: the value reads of the
   * key see (read-your-writes). Its `seq` orders it against other flushers' items of the key.
   */
  pendingOf(key: string): WriteItem | undefined {
    return this.items.newestOf(key);
  }

  /** The key's unsettled items, newest first (the queued one, then the one in flight). */
  unsettledOf(key: string): WriteItem[] {
    return this.items.unsettledOf(key);
  }

  /** Whether the flusher holds any item (queued, in flight or retrying). */
  get holdsItems(): boolean {
    return this.items.size !== 0;
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
    return this.admission.admit(this.journal === undefined && this.items.isQueued(key));
  }

  /**
   * Memory mode: {@link admit} and {@link enqueue} in one step, with one lookup of the key, when
   * the call needs no wait (there is room, or it coalesces).
   * @returns the item now holding the key's queued value, or the call's admission when it has to wait (then {@link enqueue} it once admitted)
   * @throws QueueFullError with `backpressure: 'reject'`; whatever `merge` throws
   */
  enqueueWithRoom(key: string, value: unknown, args: unknown[], self: unknown): WriteItem | Promise<boolean> {
    if (this.closed) return Promise.reject(this.closedError());
    const current = this.items.newestOf(key);
    const admitted = this.admission.admit(current !== undefined && isQueuedState(current));
    if (typeof admitted !== 'boolean') return admitted;
    return this.enqueueAt(current, key, value, args, self, admitted, undefined, false);
  }

  /** Gives back a reservation that was not used (the call failed before it was queued). */
  unreserve(): void {
    this.admission.unreserve();
  }

  /**
   * Queues one call: coalesces it into the key's queued item (last wins, or `merge`), or starts
   * a new item. Consumes the call's reservation, if any.
   * @param id the call's journal entry id (durable mode)
   * @returns the item now holding the key's queued value
   * @throws whatever `merge` throws (the reservation is given back)
   */
  enqueue(key: string, value: unknown, args: unknown[], self: unknown, reserved: boolean, id?: string, replayed = false): WriteItem {
    return this.enqueueAt(this.items.newestOf(key), key, value, args, self, reserved, id, replayed);
  }

  /** {@link enqueue}, `current` being the key's newest unsettled item (looked up by the caller). */
  private enqueueAt(
    current: WriteItem | undefined,
    key: string,
    value: unknown,
    args: unknown[],
    self: unknown,
    reserved: boolean,
    id: string | undefined,
    replayed: boolean,
  ): WriteItem {
    const existing = current !== undefined && isQueuedState(current) ? current : undefined;
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
    if (reserved) this.admission.consume();
    const previous = current; // in flight, or none
    // every field set here, in one order: one object shape for every item. The fields a write
    // that succeeds at once reads or sets while it is flushed come first, the others (retries,
    // inspection, tracing) last: between two database transactions the item is read from memory
    // again, a cache line for every 8 fields it spans.
    const item: WriteItem = {
      state: 'new',
      compacting: undefined,
      key,
      place: undefined,
      args: this.s.merge ? this.withValue(args, value) : args,
      running: undefined,
      pendingEntry: undefined,
      merge: this.s.merge,
      next: undefined,
      previous,
      value,
      releasing: undefined,
      seq: (this.seq = this.s.sequence.next()),
      calls: 1,
      ids: id === undefined ? undefined : [id],
      settled: undefined,
      replayed,
      self,
      queuedAt: this.s.scheduler.now(),
      attempts: 0,
      failures: 0,
      lastFailedAt: this.poison.tick(),
      closingFailures: undefined,
      origins: undefined,
    };
    if (replayed) this.replaying++;
    this.items.add(item, current);
    if (previous === undefined) this.onReady(false);
    return item;
  }

  /** Resolves when every item queued before the call has settled (written or dead-lettered), and its journal entries are acknowledged. */
  async flush(): Promise<void> {
    if (this.items.size > 0) {
      // every unsettled item was queued before this call (seqs only grow)
      const done = this.barriers.wait(this.seq, this.items.size);
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
    this.admission.refuseWaiting(this.closedError());
    this.journal?.stopClaims();
    // calls that hold room are between admission and the queue (a journal append): let them in
    while (this.admission.reserved > 0) await new Promise((resolve) => setImmediate(resolve));
    // retries waiting out an outage go now
    for (const [timer, unit] of [...this.retryTimers]) {
      this.s.scheduler.clearTimer(timer);
      this.retryTimers.delete(timer);
      this.submit(unit);
    }
    await this.flush();
    this.batchTimer.cancel();
    this.kickTimer.cancel();
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
    return this.admission.room();
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
    for (const item of this.items.unsettledItems()) {
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
    for (const item of this.items.unsettledOf(key)) {
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
    const due = this.items.readyCount >= this.s.batchSize || this.flushDue || this.barriers.active;
    if (due && afterSettle) this.pump();
    else if (due) this.kickTimer.arm();
    else this.batchTimer.arm();
  }

  /** Flush everything ready now (backpressure 'flush'). */
  private requestFlush(): void {
    this.flushDue = true;
    this.pump();
  }

  /** Hands due batches to p-queue while it has a free slot. */
  private pump(): void {
    while (this.queue.size + this.queue.pending < this.s.concurrency) {
      const items = this.takeDue();
      if (items === undefined) break;
      this.runBatches({ items });
    }
    this.armForRest();
  }

  /** The next batch due, taken (in flight from now), if a batch is due. */
  private takeDue(): WriteItem[] | undefined {
    const { batchSize, batchWith } = this.s;
    if (this.items.readyCount === 0) return undefined;
    if (!this.flushDue && !this.barriers.active) {
      if (this.items.readyCount < batchSize) return undefined;
      // per-item mode: a full batch starts a drain of everything ready
      if (batchWith === undefined) this.flushDue = true;
    }
    const items = this.items.takeReady(batchWith === undefined ? 1 : batchSize);
    return items.length === 0 ? undefined : items; // none: every ready item is being compacted
  }

  /** After batches were taken: the drain is over once nothing is ready, else the batch interval runs for what is left. */
  private armForRest(): void {
    if (this.items.readyCount === 0) {
      this.flushDue = false;
      this.batchTimer.cancel();
    } else if (!this.flushDue) {
      this.batchTimer.arm();
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

  /** Runs `unit` (a retry) in a slot of p-queue. */
  private submit(unit: WriteUnit): void {
    void this.queue.add(() => this.run(unit));
  }

  /**
   * Runs `unit` in a slot of p-queue, then, in the same slot, each batch due after it while no
   * other task waits for a slot (a retry): one queue task for a run of batches, with no round
   * trip through the queue between two of them.
   */
  private runBatches(unit: WriteUnit): void {
    void this.queue.add(async () => {
      for (let next: WriteUnit | undefined = unit; next !== undefined; ) {
        await this.run(next);
        const items = this.queue.size === 0 ? this.takeDue() : undefined;
        next = items === undefined ? undefined : { items };
        if (next !== undefined) this.armForRest();
      }
    });
  }

  /** Runs the method for a unit. Never throws: every outcome is handled here. */
  private async run(unit: WriteUnit): Promise<void> {
    // (memory mode, or merge: nothing to ask Redis, and no wait for it)
    const items = this.journal === undefined || this.s.merge !== undefined ? unit.items : await this.withoutSuperseded(unit.items);
    if (items.length === 0) return;
    unit = { items, startedMs: performance.now() };
    const ended = this.s.merge === undefined ? noop : markRunning(items);
    // runtime replacement (configureCache): the replaced runtime's queued writes run first
    const predecessor = this.s.runtime.predecessorDone;
    if (predecessor !== undefined) await predecessor;
    unit.startedAt = this.poison.tick();
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
      await this.s.release?.([item], false);
      this.settle(item);
    }
    return kept;
  }

  private async succeeded(unit: WriteUnit): Promise<void> {
    const { stats, runtime, method, release } = this.s;
    // the cache entries are put right before the queued values stop being served
    if (release !== undefined) await release(unit.items, true);
    this.poison.succeeded(unit);
    let calls = 0;
    for (const item of unit.items) calls += item.calls;
    stats.flushed += calls;
    if (runtime.events.has('flush')) runtime.events.emit('flush', { method, items: unit.items.length, durationMs: performance.now() - unit.startedMs!, origins: originsOf(unit.items) });
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
    const poison = this.poison.isPoisonFailure(unit);
    const now = this.poison.tick();
    for (const item of items) {
      item.lastFailedAt = now;
      item.failures++;
      if (poison) item.attempts++;
      if (this.closing) item.closingFailures = (item.closingFailures ?? 0) + 1;
      this.poison.failed(item);
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
    await this.s.release?.([item], false);
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
    await this.s.release?.([item], false);
    this.settle(item);
  }

  /** The item is done (written or dead-lettered): free its key and its room, release flush barriers. */
  private settle(item: WriteItem): void {
    const next = this.items.settle(item);
    if (next !== undefined) this.onReady(true);
    this.admission.grant();
    if (this.barriers.active) this.barriers.settled(item.seq);
    if (item.replayed && --this.replaying === 0) this.journal?.replaysSettled();
  }

  private closedError(): RuntimeClosedError {
    return new RuntimeClosedError(`${this.s.method}: the cache runtime is closed`);
  }
}
