import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { SerializationError, StoreError } from '../errors.js';
import { packFrames } from '../stores/packed-frames.js';
import type { Serializer } from '../serializer.js';
import type { TimerHandle, WriteBehindScheduler } from './scheduler.js';
import {
  ACK_SCRIPT, ACQUIRE_LEASE_SCRIPT, APPEND_SCRIPT, HEARTBEAT_SCRIPT, PRUNE_CONSUMERS_SCRIPT, RELEASE_LEASE_SCRIPT,
  type JournalClient, whenReady,
} from './journal-scripts.js';

/** An entry read back from the journal: the arguments of one call, or why they could not be decoded. */
export type JournalEntry = { id: string; args: unknown[] } | { id: string; error: unknown };

/** What the journal needs from its flusher. */
export interface JournalHost {
  /** How many more items the flusher can take in now (claims never exceed it). */
  room(): number;
  /** Takes in entries of other (crashed) processes, oldest first; they now belong to this process. */
  replay(entries: JournalEntry[]): void;
  /** How many replayed items have not settled yet (the recovery lease is kept until 0). */
  replaysOutstanding(): number;
  /** Reports a background failure (heartbeat, ack, claim). */
  report(error: unknown, operation: string): void;
}

/** Settings of a {@link RedisStreamJournal}. */
export interface RedisStreamJournalOptions {
  client: JournalClient;
  stream: string;
  group: string;
  claimIdleMs: number;
  claimIntervalMs: number;
  scheduler: WriteBehindScheduler;
  serializer: Serializer;
  host: JournalHost;
}

/** Longest wait for a connecting client before the first command. */
const CONNECT_WAIT_MS = 10_000;
/** Most entries appended by one script call; calls beyond wait for the next round trip. */
const MAX_APPEND_BATCH = 1_000;
/** Append round trips in flight at once (pipelined on the connection, so entries keep call order). */
const MAX_APPENDS_IN_FLIGHT = 2;
/** Entries waiting that make an append go out at once rather than at the end of the event-loop turn. */
const SEND_APPENDS_AT = 64;
/** Most entries claimed by one XAUTOCLAIM. */
const CLAIM_BATCH = 500;
/** Most failed acknowledgements kept for a retry (beyond it, entries get replayed: duplicates, never losses). */
const MAX_RETRY_ACKS = 100_000;

interface PendingAppend {
  payload: Buffer | string;
  /** Entries the new one replaces (a compaction): acknowledged in the same atomic step. */
  replaces?: readonly string[];
  resolve(id: string): void;
  reject(error: unknown): void;
}

/**
 * The durable side of a write-behind flusher: a Redis Stream with one consumer group shared by
 * every instance.
 *
 * - `append` adds an entry (the call's arguments) and delivers it to this process's consumer in
 *   the same atomic script, before the call resolves. Calls arriving together share one round
 *   trip (group commit); round trips never overlap, so entries keep call order.
 * - `ack` acknowledges and deletes entries once their write reached the method (or was
 *   superseded by a newer write of the key, or dead-lettered).
 * - A heartbeat keeps this process's entries from going idle; a poll claims entries idle for
 *   longer than `claimIdleMs` (XAUTOCLAIM: a crashed process's), under a lease so one process
 *   at a time replays them, and hands them to the flusher in stream order.
 *
 * Delivery is at least once: a write whose method ran but whose ack did not reach Redis is
 * replayed.
 */
export class RedisStreamJournal {
  /** This process's consumer name in the group. */
  readonly consumer = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly o: RedisStreamJournalOptions;
  private readonly leaseKey: string;
  /** Entry ids delivered to this consumer and not acknowledged yet. */
  private readonly owned = new Set<string>();
  private appendBuffer: PendingAppend[] = [];
  private appendsInFlight = 0;
  private appendScheduled = false;
  private ackBuffer: string[] = [];
  private acking: Promise<void> | undefined;
  private ackScheduled = false;
  private readonly retryAcks = new Set<string>();
  /** Ids acknowledged here whose XACK is being sent (they must not come back through a claim). */
  private readonly ackInFlight = new Set<string>();
  private leaseHeld = false;
  private recovering: Promise<number> | undefined;
  private pollTimer: TimerHandle | undefined;
  private heartbeatTimer: TimerHandle | undefined;
  private started = false;
  private claimsStopped = false;
  private closed = false;

  constructor(options: RedisStreamJournalOptions) {
    this.o = options;
    this.leaseKey = `${options.stream}:recovery`;
  }

  /** The stream key. */
  get stream(): string {
    return this.o.stream;
  }

  /** How many entries this process holds unacknowledged (including acks waiting for a retry). */
  get heldEntries(): number {
    return this.owned.size + this.retryAcks.size;
  }

  /**
   * Creates the group if needed, starts the heartbeat and the claim poll, and runs a first
   * claim pass (so entries left by a crashed process are queued before this process's own).
   * @returns how many entries the first pass claimed
   */
  async start(): Promise<number> {
    if (!this.started) {
      await whenReady(this.o.client, CONNECT_WAIT_MS);
      try {
        await this.o.client.xgroup('CREATE', this.o.stream, this.o.group, '0', 'MKSTREAM');
      } catch (error) {
        if (!String((error as Error)?.message).includes('BUSYGROUP')) throw error;
      }
      this.started = true;
      this.schedulePoll();
      this.scheduleHeartbeat();
    }
    return this.recover();
  }

  /**
   * Appends the arguments of one call. Resolves with the entry id once the entry is in Redis
   * and delivered to this consumer.
   * @throws SerializationError when the arguments cannot be encoded; StoreError when Redis fails
   */
  append(args: unknown[]): Promise<string> {
    return this.push(args, undefined);
  }

  /**
   * Replaces entries by one entry holding `args` (a merged write), atomically: a crash sees
   * either the old entries or the new one, never both. Keeps the journal of a hot merged key
   * from growing while the database is down.
   * @returns the id of the new entry
   */
  compact(args: unknown[], replaces: readonly string[]): Promise<string> {
    return this.push(args, replaces);
  }

  private push(args: unknown[], replaces: readonly string[] | undefined): Promise<string> {
    let payload: Buffer | string;
    try {
      payload = this.o.serializer.serialize(args);
    } catch (error) {
      return Promise.reject(new SerializationError(`write-behind journal: the arguments cannot be encoded for '${this.o.stream}'`, { cause: error }));
    }
    return new Promise<string>((resolve, reject) => {
      this.appendBuffer.push({ payload, replaces, resolve, reject });
      if (this.appendBuffer.length >= SEND_APPENDS_AT && this.appendsInFlight < MAX_APPENDS_IN_FLIGHT) void this.sendAppends();
      else this.scheduleAppend();
    });
  }

  /** Acknowledges and deletes entries (batched; failures are retried, then reported). */
  ack(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.owned.delete(id);
      this.ackBuffer.push(id);
    }
    if (!this.ackScheduled) {
      this.ackScheduled = true;
      setImmediate(() => {
        this.ackScheduled = false;
        void this.sendAcks();
      });
    }
  }

  /** Resolves when every acknowledgement asked for so far has been sent (or failed and was kept for a retry). */
  async drainAcks(): Promise<void> {
    while (this.acking !== undefined || this.ackBuffer.length > 0) {
      if (this.acking === undefined) void this.sendAcks();
      await this.acking;
    }
  }

  /**
   * One claim pass: takes the recovery lease, claims entries idle for `claimIdleMs` in stream
   * order (as many as the flusher has room for) and hands them over.
   * @returns how many entries were claimed
   */
  recover(): Promise<number> {
    this.recovering ??= this.recoverPass().finally(() => (this.recovering = undefined));
    return this.recovering;
  }

  /** Called by the flusher when its last replayed item settled: gives the recovery lease back. */
  replaysSettled(): void {
    if (this.leaseHeld && !this.recovering) void this.releaseLease();
  }

  /** Stops claiming other processes' entries (the flusher is closing); the heartbeat goes on. */
  stopClaims(): void {
    this.claimsStopped = true;
    this.o.scheduler.clearTimer(this.pollTimer);
  }

  /** Stops the timers, sends the last acknowledgements and gives the lease back. The client stays open. */
  async close(): Promise<void> {
    this.stopClaims();
    this.closed = true;
    this.o.scheduler.clearTimer(this.pollTimer);
    this.o.scheduler.clearTimer(this.heartbeatTimer);
    while (this.appendsInFlight > 0 || this.appendBuffer.length) await new Promise((r) => setImmediate(r));
    await this.recovering?.catch(() => 0);
    await this.drainAcks();
    if (this.retryAcks.size) await this.sendAcks();
    if (this.leaseHeld) await this.releaseLease();
  }

  private scheduleAppend(): void {
    if (this.appendScheduled || this.appendsInFlight >= MAX_APPENDS_IN_FLIGHT) return;
    this.appendScheduled = true;
    setImmediate(() => {
      this.appendScheduled = false;
      void this.sendAppends();
    });
  }

  private async sendAppends(): Promise<void> {
    if (this.appendsInFlight >= MAX_APPENDS_IN_FLIGHT || this.appendBuffer.length === 0) return;
    this.appendsInFlight++;
    const batch = this.appendBuffer.length <= MAX_APPEND_BATCH ? this.appendBuffer : this.appendBuffer.slice(0, MAX_APPEND_BATCH);
    this.appendBuffer = batch === this.appendBuffer ? [] : this.appendBuffer.slice(MAX_APPEND_BATCH);
    try {
      const replaced = batch.flatMap((a) => a.replaces ?? []);
      const args = [this.o.group, this.consumer, packFrames(batch.map((a) => a.payload)), ...replaced];
      const reply = (await APPEND_SCRIPT.runInOrder(this.o.client, [this.o.stream], args)) as [Buffer, Buffer[]];
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
      for (let i = 0; i < batch.length; i++) {
        const id = ids[i]!;
        this.owned.add(id);
        batch[i]!.resolve(id);
      }
    } catch (error) {
      const failure = new StoreError(`write-behind journal: append to '${this.o.stream}' failed: ${(error as Error)?.message ?? error}`, { cause: error });
      for (const a of batch) a.reject(failure);
    } finally {
      this.appendsInFlight--;
      if (this.appendBuffer.length) this.scheduleAppend();
    }
  }

  private sendAcks(): Promise<void> {
    if (this.acking) return this.acking;
    const ids = [...this.retryAcks, ...this.ackBuffer];
    this.ackBuffer = [];
    this.retryAcks.clear();
    for (const id of ids) this.ackInFlight.add(id);
    if (ids.length === 0) return Promise.resolve();
    this.acking = ACK_SCRIPT.run(this.o.client, [this.o.stream], [this.o.group, ids.join(' ')])
      .then(
        () => undefined,
        (error) => {
          for (const id of ids) if (this.retryAcks.size < MAX_RETRY_ACKS) this.retryAcks.add(id);
          this.o.host.report(new StoreError(`write-behind journal: ack of ${ids.length} entries failed (kept for a retry)`, { cause: error }), 'journal-ack');
        },
      )
      .finally(() => {
        for (const id of ids) this.ackInFlight.delete(id);
        this.acking = undefined;
      });
    return this.acking;
  }

  private async recoverPass(): Promise<number> {
    if (this.claimsStopped || this.o.host.room() <= 0) return 0;
    const { client, stream, group, claimIdleMs } = this.o;
    const held = (await ACQUIRE_LEASE_SCRIPT.run(client, [this.leaseKey], [this.consumer, Math.max(1, Math.round(claimIdleMs))])) as number;
    if (Number(held) !== 1) return 0;
    this.leaseHeld = true;
    let total = 0;
    let cursor = '0-0';
    for (;;) {
      const count = Math.min(CLAIM_BATCH, this.o.host.room());
      if (count <= 0 || this.claimsStopped) break;
      const reply = (await client.xautoclaimBuffer(stream, group, this.consumer, Math.round(claimIdleMs), cursor, 'COUNT', count)) as [
        Buffer,
        Array<[Buffer, Buffer[] | null]>,
      ];
      cursor = reply[0].toString();
      const entries: JournalEntry[] = [];
      for (const [idBuffer, fields] of reply[1]) {
        const id = idBuffer.toString();
        if (fields === null || fields === undefined) continue; // deleted from the stream meanwhile
        // ours already (a heartbeat came too late): queued here, or written and being acknowledged
        if (this.owned.has(id) || this.isBeingAcknowledged(id)) continue;
        this.owned.add(id);
        entries.push(this.decode(id, fields[1]));
      }
      if (entries.length) {
        total += entries.length;
        this.o.host.replay(entries);
      }
      if (cursor === '0-0') break;
    }
    try {
      await PRUNE_CONSUMERS_SCRIPT.run(client, [stream], [group, this.consumer, Math.round(claimIdleMs)]);
    } catch (error) {
      this.o.host.report(error, 'journal-prune');
    }
    if (this.o.host.replaysOutstanding() === 0) await this.releaseLease();
    return total;
  }

  private isBeingAcknowledged(id: string): boolean {
    return this.retryAcks.has(id) || this.ackInFlight.has(id) || this.ackBuffer.includes(id);
  }

  private async releaseLease(): Promise<void> {
    this.leaseHeld = false;
    try {
      await RELEASE_LEASE_SCRIPT.run(this.o.client, [this.leaseKey], [this.consumer]);
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

  private async heartbeat(): Promise<void> {
    if (this.retryAcks.size) await this.sendAcks();
    if (this.heldEntries > 0) await HEARTBEAT_SCRIPT.run(this.o.client, [this.o.stream], [this.o.group, this.consumer]);
    if (this.leaseHeld) {
      await ACQUIRE_LEASE_SCRIPT.run(this.o.client, [this.leaseKey], [this.consumer, Math.max(1, Math.round(this.o.claimIdleMs))]);
    }
  }
}
