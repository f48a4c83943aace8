/**
 * Redis commands in flight, each with its deadline (see `operation-deadlines.ts`) and its
 * outcome counted in the store's circuit breaker. `PendingCommand` settles a promise of the
 * store's own (commands sent in bursts, or through other ioredis methods); `DirectCommand`
 * hands the caller ioredis's own promise (a lone read, the sequential hit path). Which one a
 * command gets is decided in `command-sender.ts`.
 */

import type { Command, Redis } from 'ioredis';
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
    const error = new StoreTimeoutError(`${this.context.name}: Redis did not answer within ${this.context.timeoutMs} ms`);
    this.context.breaker.failure(error);
    this.reject(error);
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

/**
 * A lone command handed straight to ioredis: the caller gets ioredis's own promise (mapped),
 * with no promise of ours around it, and a deadline that passes first rejects the ioredis
 * command itself (a late reply then changes nothing). The hit path of a sequential caller.
 */
export class DirectCommand<R> implements Deadline {
  at = 0;
  prev: Deadline | null = null;
  next: Deadline | null = null;
  constructor(
    private readonly context: CommandContext,
    private readonly command: Command,
    private readonly map: (value: any) => R,
  ) {}

  expire(): void {
    const error = new StoreTimeoutError(`${this.context.name}: Redis did not answer within ${this.context.timeoutMs} ms`);
    this.context.breaker.failure(error);
    this.command.reject(error);
  }

  /** Sends the command on `client`. @returns the mapped reply */
  send(client: Redis): Promise<R> {
    this.context.deadlines.add(this);
    client.sendCommand(this.command);
    return this.command.promise.then(
      (value) => {
        this.context.deadlines.done(this);
        this.context.breaker.success();
        return this.map(value);
      },
      (error: unknown) => {
        // not pending any more: it expired, and expire() counted the failure
        if (!this.context.deadlines.done(this)) throw error;
        throw commandFailure(this.context, error);
      },
    );
  }
}
