/**
 * How every command of a RedisStore is sent: the one place that decides. A command is either
 * a plain one ({@link PlainCommand}: `GET`/`MGET` with replies as bytes, or `SET`, by ioredis
 * method name and arguments) or any other (a function that calls ioredis: scripts, `UNLINK`,
 * `SCAN`, `PUBLISH`, a Cluster's parallel `GET`s). {@link CommandSender.send} takes both:
 *
 * 1. The store is closed: rejected (`StoreError`). The breaker is open: rejected at once
 *    (`CircuitOpenError`), nothing sent.
 * 2. The connection is not `ready`: while it is being (re)established the command waits for
 *    `ready` within its deadline and is then sent (any command: a plain one as its ioredis
 *    method on the store's client); while it is down it fails at once (counted in the
 *    breaker). Nothing is ever left in ioredis's offline queue.
 * 3. Ready, and not a plain command, or a Cluster (one command must stay in one hash slot):
 *    sent now, settled through a {@link PendingCommand}.
 * 4. Ready, a plain read, and nothing else in flight: sent now, directly, as a
 *    {@link DirectRead} (the ioredis command itself, settled in ioredis's reply callback), on
 *    `via` (the version mirror's connection while it is live, see `version-mirror.ts`). A
 *    sequential caller pays nothing more. Paid for by the sequential `@Cacheable, RedisStore`
 *    rows of `bench/redis-hit.mjs` (and their call-by-call pairing with raw GET).
 * 5. Ready, a plain write, or a plain read while other operations are in flight: queued in the
 *    current burst (started by the first, sent from a microtask at the end of the turn: see
 *    `command-burst.ts`), on the mirror's connection while it is live, else the store's own
 *    (one connection for the whole burst, in order).
 *
 * Every command has a deadline (`operation-deadlines.ts`) and counts in the circuit breaker
 * (`pending-commands.ts`). Its reply goes through the caller's `map` in the callback that
 * settles it (a lone read's: ioredis's reply callback).
 */

import type { Redis } from 'ioredis';
import { CircuitOpenError, StoreError } from '../../errors.js';
import type { RedisClient } from '../../options/redis-store.js';
import { sendBurst, type PlainCommandName, type QueuedCommand } from './command-burst.js';
import { DirectRead, PendingCommand, type CommandContext } from './pending-commands.js';

/** A plain command: one the sender may send directly or gather into a burst. */
export interface PlainCommand {
  /** The ioredis method (`getBuffer`, `mgetBuffer`, `set`). */
  readonly name: PlainCommandName;
  readonly args: Array<string | Buffer>;
  /** The connection a lone read goes on (default: the store's client). */
  readonly via?: Redis;
}

/** A command for {@link CommandSender.send}: a plain one, or a function that sends any other through ioredis. */
export type StoreCommand<T> = PlainCommand | (() => Promise<T>);

/** The Redis command behind each plain read method (for a command sent directly). */
const COMMAND_NAMES = { getBuffer: 'get', mgetBuffer: 'mget', set: 'set' } as const;

/** The identity, for a read sent without a map. */
const same = <T>(value: T): T => value;

/** See the file comment. */
export class CommandSender {
  private closed = false;
  /** Plain commands queued during the current synchronous turn; undefined outside a burst. */
  private burst: QueuedCommand[] | undefined;
  /** Reads shared within the current burst, by key (see {@link shareInBurst}). */
  private readonly burstShares = new Map<string, Promise<unknown>>();
  /** The client's key prefix (ioredis adds it to the keys of its own methods; the store adds it to those it sends otherwise). */
  private readonly keyPrefix: string | undefined;
  private readyWait: Promise<void> | undefined;
  private readyResolve: (() => void) | undefined;

  /**
   * @param burstVia the connection a burst goes on when it is sent (the mirror's while it is live), else the client
   */
  constructor(
    private readonly client: RedisClient,
    private readonly isCluster: boolean,
    private readonly context: CommandContext,
    keyPrefix: string | undefined,
    private readonly burstVia: () => Redis | undefined,
  ) {
    this.keyPrefix = keyPrefix;
  }

  /** Commands waiting for Redis right now. */
  get pending(): number {
    return this.context.deadlines.size;
  }

  /** Sends `command` (see the file comment for how). @returns its reply, through `map` when given */
  send<T, R = T>(command: StoreCommand<T>, map?: (value: T) => R): Promise<R> {
    const { name, breaker } = this.context;
    if (this.closed) return Promise.reject(new StoreError(`${name}: the store is closed`));
    if (!breaker.admit()) {
      return Promise.reject(new CircuitOpenError(`${name}: circuit open after repeated Redis failures; skipping Redis until the next probe`));
    }
    const status = this.client.status;
    if (status !== 'ready') return this.whenConnected(status, this.sendingOf(command), map);
    if (typeof command === 'function' || this.isCluster) return this.now(this.sendingOf(command), map);
    if (this.context.deadlines.size === 0 && command.name !== 'set') {
      // 4. A lone read: at once, settled in ioredis's reply callback.
      const read = new DirectRead<R>(this.context, COMMAND_NAMES[command.name], command.args as string[], this.keyPrefix, map ?? same);
      read.send(command.via ?? (this.client as Redis));
      return read.result;
    }
    // 5. A write, or other operations are in flight: more may follow in this turn; send them together.
    return new Promise<R>((resolve, reject) => {
      const pending = new PendingCommand<T, R>(this.context, resolve, reject, map);
      this.context.deadlines.add(pending);
      const queued = { name: command.name, args: command.args, command: pending };
      if (this.burst !== undefined) {
        this.burst.push(queued);
      } else {
        this.burst = [queued];
        queueMicrotask(this.flushBurst);
      }
    });
  }

  /**
   * `read()`, unless a read with the same `key` is queued in the current burst: then that
   * read's promise (it leaves with the burst, after every request of it). A wave of
   * write-behind calls of one namespace reads its counter once.
   */
  shareInBurst<R>(key: string, read: () => Promise<R>): Promise<R> {
    if (this.burst !== undefined) {
      const shared = this.burstShares.get(key);
      if (shared !== undefined) return shared as Promise<R>;
    }
    const promise = read();
    if (this.burst !== undefined) this.burstShares.set(key, promise);
    return promise;
  }

  /** The client is ready: the breaker starts over and commands waiting for it go. */
  readonly onReady = (): void => {
    this.context.breaker.reset();
    const resolve = this.readyResolve;
    this.readyWait = undefined;
    this.readyResolve = undefined;
    resolve?.();
  };

  /** From now on every command is refused; commands waiting for the connection fail. */
  close(): void {
    this.closed = true;
    this.readyResolve?.();
  }

  /** A plain command as a function that sends it on the store's client. */
  private sendingOf<T>(command: StoreCommand<T>): () => Promise<T> {
    if (typeof command === 'function') return command;
    const client = this.client as unknown as Record<string, (...a: Array<string | Buffer>) => Promise<T>>;
    return () => client[command.name]!(...command.args);
  }

  /** 3. Sent now, settled through a pending command. */
  private now<T, R>(send: () => Promise<T>, map: ((value: T) => R) | undefined): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const command = new PendingCommand<T, R>(this.context, resolve, reject, map);
      this.context.deadlines.add(command);
      try {
        send().then(command.ok, command.fail);
      } catch (error) {
        command.fail(error);
      }
    });
  }

  /** 2. The connection is not ready: wait for it (within the deadline) while it is being established, else fail. */
  private whenConnected<T, R>(status: string, send: () => Promise<T>, map: ((value: T) => R) | undefined): Promise<R> {
    if (status !== 'wait' && status !== 'connecting' && status !== 'connect') {
      const error = new StoreError(`${this.context.name}: not connected to Redis (connection ${status})`);
      this.context.breaker.failure(error);
      return Promise.reject(error);
    }
    return new Promise<R>((resolve, reject) => {
      const command = new PendingCommand<T, R>(this.context, resolve, reject, map);
      this.context.deadlines.add(command);
      if (status === 'wait') this.client.connect().catch(() => undefined);
      this.whenReady().then(() => {
        if (command.settled) return;
        if (this.closed || this.client.status !== 'ready') {
          command.fail(new Error(`not connected to Redis (connection ${this.client.status})`));
          return;
        }
        try {
          send().then(command.ok, command.fail);
        } catch (error) {
          command.fail(error);
        }
      });
    });
  }

  private whenReady(): Promise<void> {
    return (this.readyWait ??= new Promise<void>((resolve) => (this.readyResolve = resolve)));
  }

  /** 5. Sends the burst gathered during the turn, whole, on one connection. */
  private readonly flushBurst = (): void => {
    const queued = this.burst!;
    this.burst = undefined;
    this.burstShares.clear();
    if (this.client.status !== 'ready') {
      for (const q of queued) q.command.fail(new Error(`not connected to Redis (connection ${this.client.status})`));
      return;
    }
    // The mirror's connection while it is up (so its reads ride behind Redis's announcements),
    // else the store's own. (A read that trusted copies and lands on the store's own connection
    // finds the mirror's epoch moved, and reads its versions too.)
    sendBurst(queued, this.burstVia() ?? (this.client as Redis), this.keyPrefix);
  };
}
