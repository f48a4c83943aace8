import { CircuitOpenError, StoreError, StoreTimeoutError } from '../errors.js';
import type { CircuitBreaker } from '../stores/redis/circuit-breaker.js';
import { OperationDeadlines, type Deadline } from '../stores/redis/operation-deadlines.js';
import type { JournalClient } from './journal-scripts.js';

/** What the journal's commands run under: the client, and the deadline and breaker of the store it came from. */
export interface JournalConnection {
  client: JournalClient;
  /** Longest wait for one journal command, in ms (the store's `timeoutMs`). */
  timeoutMs: number;
  /** The store's circuit breaker: journal commands count in it and fail fast while it is open. */
  breaker: CircuitBreaker;
  /** A name for errors (the store's). */
  name: string;
}

/** Connection statuses of an ioredis client that become `ready` by themselves. */
const CONNECTING = new Set(['wait', 'connecting', 'connect', 'reconnecting']);

/**
 * Every Redis command of a write-behind journal (append, ack, claim, lease, heartbeat,
 * compaction) runs here, with the same rules as the store's own commands:
 *
 * - a deadline of `timeoutMs` (one shared ticking timer, `operation-deadlines.ts`): a command
 *   Redis does not answer in time (paused, partitioned) rejects with `StoreTimeoutError`;
 * - the store's circuit breaker: while it is open, commands fail at once with `CircuitOpenError`;
 * - never ioredis's offline queue: while the connection is being (re)established a command waits
 *   for `ready` within its deadline, then is sent; on a closed connection it fails at once.
 *
 * A command that timed out may still run in Redis later (a paused server that continues): its
 * late reply goes to `onLate`, so the caller can undo what the caller was told did not happen.
 */
export class JournalCommands {
  private readonly deadlines: OperationDeadlines;
  private closed = false;

  constructor(private readonly connection: JournalConnection) {
    this.deadlines = new OperationDeadlines(connection.timeoutMs);
  }

  /** The client commands are sent on. */
  get client(): JournalClient {
    return this.connection.client;
  }

  /** The deadline of one command, in ms. */
  get timeoutMs(): number {
    return this.connection.timeoutMs;
  }

  /** Commands waiting for an answer (or for the connection). */
  get pending(): number {
    return this.deadlines.size;
  }

  /**
   * Sends one command under the deadline and the breaker.
   * @param what names the command in errors (`append to 'stream'`)
   * @param send sends it on the client (called at most once)
   * @param onLate receives the reply of a command that had already timed out
   * @throws StoreTimeoutError (no answer within `timeoutMs`), CircuitOpenError (breaker open),
   *   StoreError (connection closed or lost, command error)
   */
  run<T>(what: string, send: (client: JournalClient) => Promise<T>, onLate?: (value: T) => void): Promise<T> {
    const { name, breaker, client } = this.connection;
    if (this.closed) return Promise.reject(new StoreError(`write-behind journal (${name}): ${what}: the journal is closed`));
    if (!breaker.admit()) {
      return Promise.reject(new CircuitOpenError(`write-behind journal (${name}): ${what}: circuit open after repeated Redis failures; failing fast until the next probe`));
    }
    const status = client.status;
    if (status !== undefined && status !== 'ready' && !CONNECTING.has(status)) {
      const error = new StoreError(`write-behind journal (${name}): ${what}: not connected to Redis (connection ${status})`);
      breaker.failure(error);
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      const command = new JournalCommand<T>(this, what, resolve, reject, onLate);
      this.deadlines.add(command);
      if (status === undefined || status === 'ready' || client.once === undefined) command.send(send);
      else command.sendWhenReady(send);
    });
  }

  /** Fails every command still waiting (the journal is closing) and refuses new ones. */
  close(): void {
    this.closed = true;
    this.deadlines.expireAll();
  }

  /** @internal */
  settled(command: JournalCommand<any>): boolean {
    return this.deadlines.done(command);
  }

  /** @internal */
  get breaker(): CircuitBreaker {
    return this.connection.breaker;
  }

  /** @internal */
  get name(): string {
    return this.connection.name;
  }
}

/** One journal command in flight, with its deadline. */
class JournalCommand<T> implements Deadline {
  at = 0;
  prev: Deadline | null = null;
  next: Deadline | null = null;
  private done = false;
  private stopWaiting: (() => void) | undefined;

  constructor(
    private readonly owner: JournalCommands,
    private readonly what: string,
    private readonly resolve: (value: T) => void,
    private readonly reject: (error: unknown) => void,
    private readonly onLate: ((value: T) => void) | undefined,
  ) {}

  expire(): void {
    if (this.done) return;
    this.done = true;
    this.stopWaiting?.();
    const error = new StoreTimeoutError(`write-behind journal (${this.owner.name}): ${this.what}: Redis did not answer within ${this.owner.timeoutMs} ms`);
    this.owner.breaker.failure(error);
    this.reject(error);
  }

  send(send: (client: JournalClient) => Promise<T>): void {
    let sent: Promise<T>;
    try {
      sent = send(this.owner.client);
    } catch (error) {
      this.fail(error);
      return;
    }
    sent.then(
      (value) => {
        if (this.done) {
          this.onLate?.(value);
          return;
        }
        this.done = true;
        this.owner.settled(this);
        this.owner.breaker.success();
        this.resolve(value);
      },
      (error: unknown) => this.fail(error),
    );
  }

  /** Waits (within the deadline) for the connection to be ready, then sends; a connection that ends fails the command. */
  sendWhenReady(send: (client: JournalClient) => Promise<T>): void {
    const client = this.owner.client;
    const onReady = () => {
      this.stopWaiting?.();
      if (!this.done) this.send(send);
    };
    const onEnd = () => {
      this.stopWaiting?.();
      this.fail(new Error('the connection was closed'));
    };
    this.stopWaiting = () => {
      this.stopWaiting = undefined;
      client.removeListener?.('ready', onReady);
      client.removeListener?.('end', onEnd);
    };
    client.once!('ready', onReady);
    client.once!('end', onEnd);
    if (client.status === 'wait') (client as { connect?: () => Promise<void> }).connect?.().catch(() => undefined);
  }

  private fail(error: unknown): void {
    if (this.done) return;
    this.done = true;
    this.owner.settled(this);
    // A reply error means Redis answered: the server is alive, the command was wrong.
    if ((error as Error | null)?.name === 'ReplyError') this.owner.breaker.success();
    else this.owner.breaker.failure(error);
    this.reject(new StoreError(`write-behind journal (${this.owner.name}): ${this.what} failed: ${(error as Error)?.message ?? String(error)}`, { cause: error }));
  }
}
