/**
 * Redis commands in flight, each with its deadline (see `operation-deadlines.ts`) and its
 * outcome counted in the store's circuit breaker. Each settles the promise its caller holds:
 * with the reply through `map` (a `map` that throws rejects), or a `StoreError` when it fails
 * (no answer in time, the connection lost, an error reply).
 *
 * - {@link PendingCommand}: a command sent through an ioredis method (bursts, scripts, `UNLINK`,
 *   ...), settled from the promise that method returns.
 * - {@link DirectRead}: a lone `GET` or `MGET` handed to the connection as ioredis's own
 *   `Command`, settled in ioredis's reply callback itself: no promise of ioredis's and no promise
 *   hop between the reply and the caller (the sequential hit path).
 *
 * Which one a command gets is decided in `command-sender.ts`.
 */

import { Command, type Redis } from 'ioredis';
import { StoreError, StoreTimeoutError } from '../../errors.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { Deadline, OperationDeadlines } from './operation-deadlines.js';

/** What a pending command needs from its store. */
export interface CommandContext {
  readonly name: string;
  readonly timeoutMs: number;
  readonly breaker: CircuitBreaker;
  readonly deadlines: OperationDeadlines;
}

/** Counts a failed command in the breaker. @returns the StoreError the caller sees */
export function commandFailure(context: CommandContext, error: unknown): StoreError {
  // A reply error means Redis answered: the server is alive, the command was wrong.
  if ((error as Error | null)?.name === 'ReplyError') context.breaker.success();
  else context.breaker.failure(error);
  return new StoreError(`${context.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** A command whose deadline passed: counted in the breaker. @returns the error its caller sees */
function timedOut(context: CommandContext): StoreTimeoutError {
  const error = new StoreTimeoutError(`${context.name}: Redis did not answer within ${context.timeoutMs} ms`);
  context.breaker.failure(error);
  return error;
}

/** One command waiting for its answer, with its deadline. */
export class PendingCommand<T, R> implements Deadline {
  at = 0;
  settled = false;
  prev: Deadline | null = null;
  next: Deadline | null = null;
  constructor(
    private readonly context: CommandContext,
    private readonly resolve: (value: R) => void,
    private readonly reject: (error: unknown) => void,
    private readonly map: ((value: T) => R) | undefined,
  ) {}

  expire(): void {
    this.settled = true;
    this.reject(timedOut(this.context));
  }

  /** Marks the command settled. @returns false if it had already settled (it timed out) */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.context.deadlines.done(this);
    return true;
  }

  ok = (value: T): void => {
    if (!this.settle()) return;
    this.context.breaker.success();
    if (this.map === undefined) {
      this.resolve(value as unknown as R);
      return;
    }
    try {
      this.resolve(this.map(value));
    } catch (error) {
      this.reject(error);
    }
  };

  fail = (error: unknown): void => {
    if (!this.settle()) return;
    this.reject(commandFailure(this.context, error));
  };
}

/** The Redis commands a {@link DirectRead} sends: every argument is a key. */
export type DirectReadName = 'get' | 'mget';

/** No arguments: what ioredis's own constructor gets (see {@link DirectRead}). */
const NO_ARGS: string[] = [];
/** Replies as bytes. */
const BYTES_REPLY = { replyEncoding: null };

/**
 * A lone read (`GET` or `MGET`, keys only) that is itself the ioredis `Command` sent on the
 * connection, and its own deadline. ioredis calls its `resolve` with the reply (or `reject`)
 * from the socket's data callback: the read maps the reply and settles its caller's promise
 * ({@link result}) right there. A deadline that passes first settles the caller (a late reply
 * then changes nothing).
 *
 * Cheaper than an ioredis command by construction: ioredis's constructor gets no arguments (it
 * flattens them with `Array.prototype.flat`, a third of a microsecond here) and makes no promise
 * (`initPromise` does nothing, below); the keys, with the client's key prefix, are set after it.
 * ioredis reads `promise` only to trace a command (diagnostics_channel) and as the return value
 * of `sendCommand`, which the store ignores: the caller's promise stands in for it. Paid for by
 * the sequential `@Cacheable, RedisStore` rows of `bench/redis-hit.mjs`.
 */
export class DirectRead<R> extends Command implements Deadline {
  at = 0;
  prev: Deadline | null = null;
  next: Deadline | null = null;
  /** The caller's promise: the reply through `map`, or the failure. */
  readonly result: Promise<R>;
  private resolveCaller!: (value: R | PromiseLike<R>) => void;
  private rejectCaller!: (error: unknown) => void;

  /**
   * @param keys the keys read (no key prefix: the client's, if any, is added here)
   * @param keyPrefix the key prefix of the client the read goes on
   */
  constructor(
    private readonly context: CommandContext,
    name: DirectReadName,
    keys: readonly string[],
    keyPrefix: string | undefined,
    private readonly map: (reply: any) => R,
  ) {
    super(name, NO_ARGS, BYTES_REPLY);
    this.args = keyPrefix ? keys.map((key) => keyPrefix + key) : (keys as string[]);
    this.result = new Promise<R>((resolve, reject) => {
      this.resolveCaller = resolve;
      this.rejectCaller = reject;
    });
    this.promise = this.result;
    // ioredis calls these as methods of the command (`command.resolve(reply)`)
    this.resolve = this.answered;
    this.reject = this.refused;
  }

  /** Sends the read on `client`, its deadline running. */
  send(client: Redis): void {
    this.context.deadlines.add(this);
    client.sendCommand(this);
  }

  expire(): void {
    this.isSettled = true;
    this.rejectCaller(timedOut(this.context));
  }

  /** The reply arrived (ioredis's `resolve`). */
  protected answered(reply: unknown): void {
    if (!this.settle()) return;
    this.isResolved = true;
    this.context.breaker.success();
    try {
      this.resolveCaller(this.map(reply));
    } catch (error) {
      this.rejectCaller(error);
    }
  }

  /** ioredis failed the command: the connection dropped, an error reply, ... (ioredis's `reject`). */
  protected refused(error: unknown): void {
    if (!this.settle()) return;
    this.rejectCaller(commandFailure(this.context, error));
  }

  /** Marks the read settled (and stops a `commandTimeout` timer of ioredis's). @returns false if it had already settled (it timed out) */
  private settle(): boolean {
    if (this.isSettled) return false;
    this.isSettled = true;
    if ((this as unknown as IoredisTimers)._commandTimeoutTimer !== undefined) (this as unknown as IoredisTimers)._clearTimers();
    this.context.deadlines.done(this);
    return true;
  }
}

/** ioredis's `commandTimeout` timer on a command (a client option), private in its typings. */
interface IoredisTimers {
  _commandTimeoutTimer?: unknown;
  _clearTimers(): void;
}

// ioredis's constructor calls initPromise() to make a promise per command; a DirectRead
// settles its caller's promise itself, so it makes none (and has no arguments to stringify:
// its keys are strings, set after the constructor).
Object.defineProperty(DirectRead.prototype, 'initPromise', { value: function initPromise() {}, writable: true, configurable: true });
