import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { SerializationError, StoreError } from '../errors.js';
import { MAX_FRAME_BYTES, packFrameChunks, packFrames } from '../stores/redis/packed-frames.js';
import type { Serializer } from '../serializer.js';
import type { JournalCommands } from './journal-commands.js';
import type { TimerHandle, WriteBehindScheduler } from '../options/write-behind-scheduler.js';
import {
  ACK_SCRIPT, ACQUIRE_LEASE_SCRIPT, ALIVE_SCRIPT, APPEND_SCRIPT, HEARTBEAT_SCRIPT, HOLDERS_SCRIPT, LATEST_IDS_SCRIPT, PRUNE_CONSUMERS_SCRIPT,
  RELEASE_LEASE_SCRIPT, TAKE_OVER_SCRIPT,
} from './journal-scripts.js';
import { compareStreamIds } from './write-item.js';

/** An entry read back from the journal: the arguments of one call, or why they could not be decoded. */
export type JournalEntry = { id: string; args: unknown[] } | { id: string; error: unknown };

/** What the journal needs from its flusher. */
export interface JournalHost {
  /** How many more items the flusher can take in now (claims never exceed it). */
  room(): number;
  /**
   * Takes in entries of other (crashed) processes, oldest first; they now belong to this process.
   * @param pass the recovery pass that claimed them (undefined for the periodic poll)
   */
  replay(entries: JournalEntry[], pass?: unknown): void;
  /** How many replayed items have not settled yet (the recovery lease is kept until 0). */
  replaysOutstanding(): number;
  /** The full key of a call (last-wins journals record the newest write per key). @throws KeyBuildError */
  keyOf(args: unknown[]): string;
  /**
   * A compaction whose call timed out ran after all (a paused Redis continued): entry `id` now
   * holds what `replaced` held. The host moves its item onto it, or acknowledges it if the item
   * is gone.
   */
  compacted(replaced: readonly string[], id: string): void;
  /** Reports a background failure (heartbeat, ack, claim). */
  report(error: unknown, operation: string): void;
}

/** Settings of a {@link RedisStreamJournal}. */
export interface RedisStreamJournalOptions {
  /** The Redis commands, under the store's deadline and breaker. */
  commands: JournalCommands;
  stream: string;
  group: string;
  claimIdleMs: number;
  claimIntervalMs: number;
  /** How long a process counts as alive after its last liveness refresh (refreshed every leaseMs / 4). */
  leaseMs: number;
  /** Last wins (no `merge`): record per key the newest accepted entry, so older replays are dropped. */
  lastWins: boolean;
  scheduler: WriteBehindScheduler;
  serializer: Serializer;
  host: JournalHost;
}

/** Most entries appended by one script call; calls beyond wait for the next round trip. */
const MAX_APPEND_BATCH = 1_000;
/** Append round trips in flight at once (pipelined on the connection, so entries keep call order). */
const MAX_APPENDS_IN_FLIGHT = 2;
/** Entries waiting that make an append go out at once rather than at the end of the event-loop turn. */
const SEND_APPENDS_AT = 64;
/** Most entries claimed by one take-over. */
const CLAIM_BATCH = 500;
/**
 * COUNT of one XAUTOCLAIM: it claims at most this many entries and examines at most ten times
 * as many pending entries (a Redis rule), about 1.4 ms of Redis for 1,000 examined.
 */
export const AUTOCLAIM_PAGE = 100;
/**
 * XAUTOCLAIM pages that claim nothing allowed in one periodic claim pass: a pass examines at
 * most 10 × AUTOCLAIM_PAGE × this = 10,000 pending entries (~14 ms of Redis, in ~1.4 ms
 * commands) and the next pass goes on from there, so a sweep of P pending entries spreads
 * over ceil(P / 10,000) passes. Pages that claim something do not count (the pass goes on
 * while the flusher has room).
 */
export const AUTOCLAIM_PAGES_PER_PASS = 10;
/** Entries refreshed by one heartbeat command (~1.2 ms of Redis); a heartbeat walks them all page by page. */
export const HEARTBEAT_PAGE = 500;
/** Most ids acknowledged by one script call (its arguments stay far below any `proto-max-bulk-len`). */
const ACK_BATCH = 5_000;
/** Most keys looked up by one LATEST_IDS call. */
const LATEST_BATCH = 1_000;
/** Most failed acknowledgements kept for a retry (beyond it, entries get replayed: duplicates, never losses). */
const MAX_RETRY_ACKS = 100_000;

/** Consumers of the journals open in this process (a consumer named with our pid but not here is a dead earlier process). */
const LIVE_CONSUMERS = new Set<string>();

interface PendingAppend {
  payload: Buffer | string;
  /** The call's full key (last-wins journals). */
  key: string | undefined;
  /** Entries the new one replaces (a compaction): acknowledged in the same atomic step. */
  replaces?: readonly string[];
  resolve(id: string): void;
  reject(error: unknown): void;
}

/** An acknowledgement waiting to be sent: the id, and the key of a last-wins write. */
interface PendingAck {
  id: string;
  key: string | undefined;
}

/**
 * The durable side of a write-behind flusher: a Redis Stream with one consumer group shared by
 * every instance.
 *
 * - `append` adds an entry (the call's arguments) and delivers it to this process's consumer in
 *   the same atomic script, before the call resolves. Calls arriving together share one round
 *   trip (group commit), cut into frames below any `proto-max-bulk-len`; round trips are
 *   pipelined in order, so entries keep call order. Last-wins journals also record, per key,
 *   the id of its newest accepted entry (stream ids grow on one Redis: a global order).
 * - `ack` acknowledges and deletes entries once their write reached the method (or was
 *   superseded by a newer write of the key, or dead-lettered).
 * - Liveness: every `leaseMs / 4` the process records that it is alive for `leaseMs`. A claim
 *   pass takes over at once the entries of a consumer that is dead (its process is gone on this
 *   host, or its liveness ran out); entries of any other consumer are claimed only once idle
 *   for `claimIdleMs` (XAUTOCLAIM; live processes refresh theirs every `claimIdleMs / 3`, in
 *   commands of {@link HEARTBEAT_PAGE} entries). Passes run under a lease, so one process at a
 *   time replays, and hand entries to the flusher in stream order.
 * - Bounded Redis work: no command walks a whole pending list. The periodic claim pass (every
 *   `claimIntervalMs`) examines at most 10,000 pending entries beyond those it claims, and the
 *   next pass goes on from there: with P entries pending in the group, an entry idle for
 *   `claimIdleMs` is claimed at the latest ceil(P / 10,000) × `claimIntervalMs` later (at once
 *   below 10,000 pending). Explicit passes (`start`, `recoverWriteBehind`) sweep everything.
 * - Every command has the store's deadline and passes its circuit breaker (`journal-commands.ts`).
 *
 * Delivery is at least once: a write whose method ran but whose ack did not reach Redis is
 * replayed.
 */
export class RedisStreamJournal {
  /** This process's consumer name in the group: `host:pid:random`. */
  readonly consumer = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly o: RedisStreamJournalOptions;
  private readonly leaseKey: string;
  private readonly aliveKey: string;
  private readonly latestKey: string;
  /** Entry ids delivered to this consumer and not acknowledged yet. */
  private readonly owned = new Set<string>();
  private appendBuffer: PendingAppend[] = [];
  private appendsInFlight = 0;
  private appendScheduled = false;
  private ackBuffer: PendingAck[] = [];
  private acking: Promise<void> | undefined;
  private ackScheduled = false;
  private readonly retryAcks = new Map<string, string | undefined>();
  /** Ids acknowledged here whose XACK is being sent (they must not come back through a claim). */
  private readonly ackInFlight = new Set<string>();
  private leaseHeld = false;
  /** Where the periodic claim pass's XAUTOCLAIM sweep goes on from ('0-0': a new sweep). */
  private claimCursor = '0-0';
  private recovering: Promise<number> | undefined;
  private pollTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private aliveTimer: TimerHandle | undefined;
  private started = false;
  private claimsStopped = false;
  private closed = false;

  constructor(options: RedisStreamJournalOptions) {
    this.o = options;
    this.leaseKey = `${options.stream}:recovery`;
    this.aliveKey = `${options.stream}:alive`;
    this.latestKey = `${options.stream}:latest`;
  }

  /** The stream key. */
  get stream(): string {
    return this.o.stream;
  }

  /** How many entries this process holds unacknowledged (including acks waiting for a retry). */
  get heldEntries(): number {
    return this.owned.size + this.retryAcks.size;
  }

  /** Acknowledgements that failed and wait for a retry (those entries get replayed if this process dies). */
  get unsentAcks(): number {
    return this.retryAcks.size;
  }

  /**
   * Creates the group if needed, records liveness, starts the heartbeats and the claim poll, and
   * runs a first claim pass (so entries left by a crashed process are queued before this
   * process's own).
   * @param pass handed to the host with the entries the first pass claims
   * @returns how many entries the first pass claimed
   * @throws StoreError (StoreTimeoutError, CircuitOpenError) when Redis does not answer within the store's timeout
   */
  async start(pass?: unknown): Promise<number> {
    if (!this.started) {
      const { stream, group } = this.o;
      await this.o.commands.run(`create group '${group}' on '${stream}'`, (c) =>
        c.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch((error: unknown) => {
          if (!String((error as Error)?.message).includes('BUSYGROUP')) throw error;
        }),
      );
      LIVE_CONSUMERS.add(this.consumer);
      await this.refreshAlive();
      this.started = true;
      this.schedulePoll();
      this.scheduleHeartbeat();
      this.scheduleAlive();
    }
    return this.recover(pass);
  }

  /**
   * Appends the arguments of one call. Resolves with the entry id once the entry is in Redis
   * and delivered to this consumer. A call that timed out may still be appended once a paused
   * Redis continues: this process then writes it like any other of its entries (a timed-out
   * write may take effect, as with any database).
   * @param key the call's full key (last-wins journals; computed by the host when omitted)
   * @throws SerializationError when the arguments cannot be encoded; StoreError when Redis fails or does not answer in time
   */
  append(args: unknown[], key?: string): Promise<string> {
    return this.push(args, undefined, key);
  }

  /**
   * Replaces entries by one entry holding `args` (a merged write), atomically: a crash sees
   * either the old entries or the new one, never both. Keeps the journal of a hot merged key
   * from growing while the database is down.
   * @returns the id of the new entry
   */
  compact(args: unknown[], replaces: readonly string[]): Promise<string> {
    return this.push(args, replaces, undefined);
  }

  private push(args: unknown[], replaces: readonly string[] | undefined, key: string | undefined): Promise<string> {
    let payload: Buffer | string;
    try {
      payload = this.o.serializer.serialize(args);
      if (this.o.lastWins && replaces === undefined) key ??= this.o.host.keyOf(args);
    } catch (error) {
      return Promise.reject(
        error instanceof Error && error.name === 'KeyBuildError'
          ? error
          : new SerializationError(`write-behind journal: the arguments cannot be encoded for '${this.o.stream}'`, { cause: error }),
      );
    }
    return new Promise<string>((resolve, reject) => {
      this.appendBuffer.push({ payload, key: this.o.lastWins ? key : undefined, replaces, resolve, reject });
      if (this.appendBuffer.length >= SEND_APPENDS_AT && this.appendsInFlight < MAX_APPENDS_IN_FLIGHT) this.sendAppends();
      else this.scheduleAppend();
    });
  }

  /**
   * Acknowledges and deletes entries (batched; failures are retried, then reported).
   * @param key the key the entries wrote (last-wins journals: lets Redis forget the key's newest id)
   */
  ack(ids: readonly string[], key?: string): void {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.owned.delete(id);
      this.ackBuffer.push({ id, key: this.o.lastWins ? key : undefined });
    }
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => {
        this.ackScheduled = false;
        void this.sendAcks();
      });
    }
  }

  /** Resolves when every acknowledgement asked for so far has been sent (or failed and was kept for a retry). Never rejects. */
  async drainAcks(): Promise<void> {
    while (this.acking !== undefined || this.ackBuffer.length > 0) {
      if (this.acking === undefined) void this.sendAcks();
      await this.acking;
    }
  }

  /**
   * Last-wins journals: which of these writes are older than the newest accepted write of
   * their key (made by any process: ids are ordered by Redis). Such a write must not reach the
   * database: the newer one will.
   * @returns the indexes of the superseded writes
   * @throws StoreError when Redis does not answer
   */
  async superseded(writes: ReadonlyArray<{ key: string; id: string }>): Promise<Set<number>> {
    const out = new Set<number>();
    if (!this.o.lastWins) return out;
    for (let at = 0; at < writes.length; at += LATEST_BATCH) {
      const part = writes.slice(at, at + LATEST_BATCH);
      const reply = (await this.o.commands.run(`read the newest writes of ${part.length} keys`, (c) =>
        LATEST_IDS_SCRIPT.run(c, [this.latestKey], part.map((w) => w.key)),
      )) as Buffer[];
      for (let i = 0; i < part.length; i++) {
        const latest = reply[i]?.toString() ?? '';
        if (latest !== '' && compareStreamIds(part[i]!.id, latest) < 0) out.add(at + i);
      }
    }
    return out;
  }

  /**
   * One claim pass: takes the recovery lease, takes over the entries of dead consumers at once
   * and claims entries idle for `claimIdleMs`, in stream order (as many as the flusher has room
   * for), and hands them over. An explicit pass (`pass` given) sweeps the whole pending list,
   * page by page; the periodic poll's pass (no `pass`) examines at most
   * {@link AUTOCLAIM_PAGES_PER_PASS} pages that claim nothing and leaves the rest of the sweep
   * to the next poll.
   * @param pass handed to the host with the entries this pass claims
   * @returns how many entries were claimed
   */
  async recover(pass?: unknown): Promise<number> {
    if (pass === undefined) {
      this.recovering ??= this.recoverPass(undefined).finally(() => (this.recovering = undefined));
      return this.recovering;
    }
    // a pass of its own (its entries are reported to `pass`), after the one running
    while (this.recovering !== undefined) await this.recovering.catch(() => 0);
    this.recovering = this.recoverPass(pass).finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  /** Called by the flusher when its last replayed item settled: gives the recovery lease back. */
  replaysSettled(): void {
    if (this.leaseHeld && !this.recovering) void this.releaseLease();
  }

  /** Stops claiming other processes' entries (the flusher is closing); the heartbeats go on. */
  stopClaims(): void {
    this.claimsStopped = true;
    this.o.scheduler.clearTimer(this.pollTimer);
  }

  /**
   * Stops the timers, sends the last acknowledgements, gives the lease back and removes this
   * process's liveness. The client stays open. Each step is one command under the store's
   * deadline (or fails at once with the breaker open), so this settles within a few `timeoutMs`
   * whatever Redis does. Acknowledgements that could not be sent are reported: those entries
   * are replayed by another process (written twice, never lost).
   */
  async close(): Promise<void> {
    this.stopClaims();
    this.closed = true;
    this.o.scheduler.clearTimer(this.pollTimer);
    this.o.scheduler.clearTimer(this.heartbeatTimer);
    this.o.scheduler.clearTimer(this.aliveTimer);
    while (this.appendsInFlight > 0 || this.appendBuffer.length) await new Promise((r) => setImmediate(r));
    await this.recovering?.catch(() => 0);
    await this.drainAcks();
    if (this.retryAcks.size) await this.sendAcks();
    if (this.retryAcks.size) {
      this.o.host.report(
        new StoreError(
          `write-behind journal: ${this.retryAcks.size} acknowledgements of '${this.o.stream}' could not reach Redis before close; those writes reached their method and will be replayed by another process (written twice, never lost)`,
        ),
        'journal-close',
      );
    }
    if (this.leaseHeld) await this.releaseLease();
    if (this.started) {
      await this.o.commands
        .run('remove liveness', (c) => ALIVE_SCRIPT.run(c, [this.aliveKey], [this.consumer, '0']))
        .catch((error) => this.o.host.report(error, 'journal-close'));
    }
    LIVE_CONSUMERS.delete(this.consumer);
    this.o.commands.close();
  }

  private scheduleAppend(): void {
    if (this.appendScheduled || this.appendsInFlight >= MAX_APPENDS_IN_FLIGHT) return;
    this.appendScheduled = true;
    setImmediate(() => {
      this.appendScheduled = false;
      this.sendAppends();
    });
  }

  /** Sends the oldest appends waiting: at most MAX_APPEND_BATCH, and no more than one frame. */
  private sendAppends(): void {
    if (this.appendsInFlight >= MAX_APPENDS_IN_FLIGHT || this.appendBuffer.length === 0) return;
    let batch = this.appendBuffer.length <= MAX_APPEND_BATCH ? this.appendBuffer : this.appendBuffer.slice(0, MAX_APPEND_BATCH);
    const withKeys = this.o.lastWins && batch.some((a) => a.key !== undefined);
    const fields: Array<Buffer | string> = [];
    for (const a of batch) {
      fields.push(a.payload);
      if (withKeys) fields.push(a.key ?? '');
    }
    const chunks = packFrameChunks(fields, withKeys ? 2 : 1);
    const first = chunks[0]!;
    if (first.groups < batch.length) batch = batch.slice(0, first.groups);
    this.appendBuffer = batch.length === this.appendBuffer.length ? [] : this.appendBuffer.slice(batch.length);
    this.appendsInFlight++;
    const replaced = batch.flatMap((a) => a.replaces ?? []);
    const args = [this.o.group, this.consumer, first.frame, withKeys ? 'k' : 'p', ...replaced];
    const keys = [this.o.stream, this.latestKey];
    this.o.commands
      .run(
        `append ${batch.length} entries to '${this.o.stream}'`,
        (c) => APPEND_SCRIPT.runInOrder(c, keys, args) as Promise<[Buffer, Buffer[]]>,
        // timed out, then ran after all (a paused Redis continued): the entries are ours to write
        (reply) => this.lateAppend(reply, batch, replaced),
      )
      .then(
        (reply) => {
          const ids = this.takeAppended(reply, replaced);
          for (let i = 0; i < batch.length; i++) batch[i]!.resolve(ids[i]!);
        },
        (error: unknown) => {
          const failure =
            error instanceof StoreError ? error : new StoreError(`write-behind journal: append to '${this.o.stream}' failed: ${(error as Error)?.message ?? error}`, { cause: error });
          for (const a of batch) a.reject(failure);
        },
      )
      .finally(() => {
        this.appendsInFlight--;
        if (this.appendBuffer.length) this.scheduleAppend();
      });
  }

  /** Records the ids of appended entries as ours, and replays entries nobody had delivered. @returns the new ids, in order */
  private takeAppended(reply: [Buffer, Buffer[]], replaced: readonly string[]): string[] {
    const ids = reply[0].toString().split(' ');
    const extra = reply[1];
    if (extra.length) {
      // entries nobody had delivered (the group was missing): replay them before our own
      const entries: JournalEntry[] = [];
      for (let i = 0; i < extra.length; i += 2) {
        const id = extra[i]!.toString();
        if (this.owned.has(id)) continue; // ours already (the group was recreated under us)
        this.owned.add(id);
        entries.push(this.decode(id, extra[i + 1]));
      }
      if (entries.length) this.o.host.replay(entries);
    }
    for (const id of replaced) this.owned.delete(id);
    for (const id of ids) this.owned.add(id);
    return ids;
  }

  private lateAppend(reply: [Buffer, Buffer[]], batch: readonly PendingAppend[], replaced: readonly string[]): void {
    // closed meanwhile: the entries stay in Redis under this (now dead) consumer, and another process replays them
    if (this.closed) return;
    try {
      const ids = this.takeAppended(reply, replaced);
      const appended: JournalEntry[] = [];
      batch.forEach((a, i) => {
        if (a.replaces !== undefined) this.o.host.compacted(a.replaces, ids[i]!);
        else appended.push(this.decode(ids[i]!, typeof a.payload === 'string' ? Buffer.from(a.payload) : a.payload));
      });
      if (appended.length) this.o.host.replay(appended);
    } catch (error) {
      this.o.host.report(error, 'journal-append');
    }
  }

  private sendAcks(): Promise<void> {
    if (this.acking) return this.acking;
    const acks: PendingAck[] = [];
    for (const [id, key] of this.retryAcks) acks.push({ id, key });
    acks.push(...this.ackBuffer);
    this.ackBuffer = [];
    this.retryAcks.clear();
    if (acks.length === 0) return Promise.resolve();
    for (const a of acks) this.ackInFlight.add(a.id);
    this.acking = this.sendAckBatches(acks).finally(() => {
      for (const a of acks) this.ackInFlight.delete(a.id);
      this.acking = undefined;
    });
    return this.acking;
  }

  /** Sends acknowledgements in commands of at most ACK_BATCH ids and one frame of keys; failed ones are kept for a retry. */
  private async sendAckBatches(acks: PendingAck[]): Promise<void> {
    let failed = 0;
    let cause: unknown;
    for (let at = 0; at < acks.length; ) {
      let end = at;
      let bytes = 0;
      while (end < acks.length && end - at < ACK_BATCH) {
        const size = acks[end]!.id.length + 9 + (acks[end]!.key === undefined ? 0 : Buffer.byteLength(acks[end]!.key!) + 4);
        if (end > at && bytes + size > MAX_FRAME_BYTES / 2) break;
        bytes += size;
        end++;
      }
      const part = acks.slice(at, end);
      at = end;
      const pairs: string[] = [];
      for (const a of part) if (a.key !== undefined) pairs.push(a.key, a.id);
      try {
        await this.o.commands.run(`acknowledge ${part.length} entries of '${this.o.stream}'`, (c) =>
          ACK_SCRIPT.run(c, [this.o.stream, this.latestKey], [this.o.group, part.map((a) => a.id).join(' '), pairs.length ? packFrames(pairs) : '']),
        );
      } catch (error) {
        cause = error;
        failed += part.length;
        for (const a of part) if (this.retryAcks.size < MAX_RETRY_ACKS) this.retryAcks.set(a.id, a.key);
      }
    }
    if (failed > 0) this.o.host.report(new StoreError(`write-behind journal: ack of ${failed} entries failed (kept for a retry)`, { cause }), 'journal-ack');
  }

  private async recoverPass(pass: unknown): Promise<number> {
    if (this.claimsStopped || this.o.host.room() <= 0) return 0;
    const { stream, group, claimIdleMs } = this.o;
    const run = this.o.commands.run.bind(this.o.commands);
    if (!(await this.takeLease())) return 0;
    let total = await this.takeOverDead(pass);
    // the periodic poll goes on with the sweep the previous poll left; an explicit pass sweeps it all
    const periodic = pass === undefined;
    let cursor = periodic ? this.claimCursor : '0-0';
    let emptyPages = 0;
    for (;;) {
      const count = Math.min(AUTOCLAIM_PAGE, this.o.host.room());
      if (count <= 0 || this.claimsStopped || (periodic && emptyPages >= AUTOCLAIM_PAGES_PER_PASS)) break;
      const from = cursor;
      const reply = (await run(`claim idle entries of '${stream}'`, (c) =>
        c.xautoclaimBuffer(stream, group, this.consumer, Math.round(claimIdleMs), from, 'COUNT', count),
      )) as [Buffer, Array<[Buffer, Buffer[] | null]>];
      cursor = reply[0].toString();
      if (periodic) this.claimCursor = cursor;
      const entries = this.claimedEntries(reply[1]);
      if (entries.length) {
        total += entries.length;
        this.o.host.replay(entries, pass);
      } else {
        emptyPages++;
      }
      if (cursor === '0-0') break;
    }
    try {
      await run('prune consumers', (c) => PRUNE_CONSUMERS_SCRIPT.run(c, [stream, this.aliveKey], [group, this.consumer, Math.round(claimIdleMs)]));
    } catch (error) {
      this.o.host.report(error, 'journal-prune');
    }
    if (this.o.host.replaysOutstanding() === 0) await this.releaseLease();
    return total;
  }

  /**
   * Takes over, at once, every entry held by a dead consumer: one whose process is gone from
   * this host (its pid is not running, or it is ours and not open here), or whose liveness ran
   * out (another host; on this host, a process that stopped refreshing it for two leases).
   * Entries go to the host in stream order.
   */
  private async takeOverDead(pass: unknown): Promise<number> {
    const { stream, group } = this.o;
    const run = this.o.commands.run.bind(this.o.commands);
    const reply = ((await run('list the holders of entries', (c) => HOLDERS_SCRIPT.run(c, [stream, this.aliveKey], [group, this.consumer]))) as Buffer[]).map(String);
    const now = Number(reply[0]);
    const entries: JournalEntry[] = [];
    for (let i = 1; i + 2 < reply.length; i += 3) {
      const name = reply[i]!;
      const aliveUntil = Number(reply[i + 2]);
      if (!isDeadConsumer(name, aliveUntil, now, this.o.leaseMs)) continue;
      for (;;) {
        const count = Math.min(CLAIM_BATCH, this.o.host.room() - entries.length);
        if (count <= 0 || this.claimsStopped) break;
        const claimed = (await run(`take over the entries of '${name}'`, (c) =>
          TAKE_OVER_SCRIPT.run(c, [stream, this.aliveKey], [group, this.consumer, name, count]),
        )) as Array<[Buffer, Buffer[] | null]>;
        entries.push(...this.claimedEntries(claimed));
        if (claimed.length < count) break;
      }
    }
    if (entries.length === 0) return 0;
    entries.sort((a, b) => compareStreamIds(a.id, b.id));
    this.o.host.replay(entries, pass);
    return entries.length;
  }

  /** The entries of an XCLAIM/XAUTOCLAIM reply that are not ours already, decoded; now owned. */
  private claimedEntries(reply: Array<[Buffer, Buffer[] | null]>): JournalEntry[] {
    const entries: JournalEntry[] = [];
    for (const [idBuffer, fields] of reply) {
      const id = idBuffer.toString();
      if (fields === null || fields === undefined) continue; // deleted from the stream meanwhile
      // ours already (a heartbeat came too late): queued here, or written and being acknowledged
      if (this.owned.has(id) || this.isBeingAcknowledged(id)) continue;
      this.owned.add(id);
      entries.push(this.decode(id, fields[1]));
    }
    return entries;
  }

  /**
   * Takes (or extends) the recovery lease, for `leaseMs`; a lease whose holder is dead (a
   * process killed in the middle of a pass) is taken over at once rather than waited out.
   * @returns whether this process holds it
   */
  private async takeLease(): Promise<boolean> {
    const ttl = Math.max(1, Math.round(this.o.leaseMs));
    const acquire = (deadHolder: string) =>
      this.o.commands.run('take the recovery lease', (c) => ACQUIRE_LEASE_SCRIPT.run(c, [this.leaseKey, this.aliveKey], [this.consumer, ttl, deadHolder]));
    let reply = await acquire('');
    if (Array.isArray(reply)) {
      const [holder, aliveUntil, now] = (reply as Buffer[]).map(String) as [string, string, string];
      if (isDeadConsumer(holder, Number(aliveUntil), Number(now), this.o.leaseMs)) reply = await acquire(holder);
    }
    this.leaseHeld = Number(reply) === 1;
    return this.leaseHeld;
  }

  private isBeingAcknowledged(id: string): boolean {
    return this.retryAcks.has(id) || this.ackInFlight.has(id) || this.ackBuffer.some((a) => a.id === id);
  }

  private async releaseLease(): Promise<void> {
    this.leaseHeld = false;
    try {
      await this.o.commands.run('release the recovery lease', (c) => RELEASE_LEASE_SCRIPT.run(c, [this.leaseKey], [this.consumer]));
    } catch (error) {
      this.o.host.report(error, 'journal-lease');
    }
  }

  private decode(id: string, payload: Buffer | undefined): JournalEntry {
    try {
      const args = this.o.serializer.deserialize(payload ?? Buffer.alloc(0));
      if (!Array.isArray(args)) throw new TypeError(`expected an array of arguments; got ${typeof args}`);
      return { id, args };
    } catch (error) {
      return { id, error };
    }
  }

  private schedulePoll(): void {
    if (this.claimsStopped) return;
    this.pollTimer = this.o.scheduler.setTimer(
      () => {
        this.recover()
          .catch((error) => this.o.host.report(error, 'journal-claim'))
          .finally(() => this.schedulePoll());
      },
      this.o.claimIntervalMs,
      { background: true },
    );
  }

  private scheduleHeartbeat(): void {
    if (this.closed) return;
    this.heartbeatTimer = this.o.scheduler.setTimer(
      () => {
        this.heartbeat()
          .catch((error) => this.o.host.report(error, 'journal-heartbeat'))
          .finally(() => this.scheduleHeartbeat());
      },
      Math.max(1, Math.floor(this.o.claimIdleMs / 3)),
      { background: true },
    );
  }

  private scheduleAlive(): void {
    if (this.closed) return;
    this.aliveTimer = this.o.scheduler.setTimer(
      () => {
        this.refreshAlive()
          .catch((error) => this.o.host.report(error, 'journal-heartbeat'))
          .finally(() => this.scheduleAlive());
      },
      Math.max(1, Math.floor(this.o.leaseMs / 4)),
      { background: true },
    );
  }

  /** Records this process alive for `leaseMs`, and extends the recovery lease while it replays. */
  private async refreshAlive(): Promise<void> {
    await this.o.commands.run('refresh liveness', (c) => ALIVE_SCRIPT.run(c, [this.aliveKey], [this.consumer, Math.max(1, Math.round(this.o.leaseMs))]));
    if (this.leaseHeld && !this.recovering) await this.takeLease();
  }

  /**
   * Resets the idle time of every entry this consumer holds, {@link HEARTBEAT_PAGE} per command
   * (each page starts after the last id of the previous one), so other clients' commands run
   * between pages and no total is too large.
   */
  private async heartbeat(): Promise<void> {
    const run = this.o.commands.run.bind(this.o.commands);
    if (this.retryAcks.size) await this.sendAcks();
    if (this.heldEntries === 0) return;
    let start = '-';
    for (;;) {
      const from = start;
      const [refreshed, last] = (await run('refresh held entries', (c) =>
        HEARTBEAT_SCRIPT.run(c, [this.o.stream], [this.o.group, this.consumer, from, HEARTBEAT_PAGE]),
      )) as [number, Buffer | string];
      if (Number(refreshed) < HEARTBEAT_PAGE || this.closed) return;
      start = `(${String(last)}`;
    }
  }
}

/**
 * Whether a consumer named `host:pid:random` is dead, from this process's view: on this host,
 * its pid runs no process (or is ours, and the consumer is not open here), or it stopped
 * refreshing its liveness for two leases (a hung process, or a reused pid); elsewhere, its
 * liveness ran out (`aliveUntil`, server time; 0 if it never recorded one).
 */
export function isDeadConsumer(name: string, aliveUntil: number, now: number, leaseMs: number): boolean {
  const parts = name.split(':');
  const pid = Number(parts[parts.length - 2]);
  const host = parts.slice(0, -2).join(':');
  if (parts.length >= 3 && host === hostname() && Number.isInteger(pid) && pid > 0) {
    if (pid === process.pid) return !LIVE_CONSUMERS.has(name);
    if (!processRuns(pid)) return true;
    return aliveUntil > 0 && aliveUntil + leaseMs < now;
  }
  return aliveUntil < now;
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
