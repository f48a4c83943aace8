/**
 * The invalidation bus of a TieredStore: Redis pub/sub that tells every other instance which
 * L1 copies (entries, version counters) to drop (see the class comment).
 */

import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { quote } from '../../duration.js';
import { SerializationError, StoreError } from '../../errors.js';
import { checkKnownOptions } from '../../known-options.js';
import type { RedisClient } from '../../options/redis-store.js';
import type { RedisStore } from '../redis/redis-store.js';
import type { InvalidationBusOptions } from '../../options/invalidation-bus.js';
import type { NoneMissing } from '../../known-options.js';
import { INVALIDATION_BUS_DEFAULTS } from '../../defaults.js';

/** What one instance tells the others. */
export interface InvalidationMessage {
  /** Instance id of the sender. */
  from: string;
  /** Keys whose L1 copies must be dropped. */
  keys?: string[];
  /** Version counters that moved, with their new values. */
  versions?: Array<[key: string, value: number]>;
  /** Drop every L1 copy and mirrored counter. */
  clear?: true;
}

/** Callbacks of the store that owns the bus. */
export interface InvalidationBusHandlers {
  /** A message from another instance arrived. */
  onMessage(message: InvalidationMessage): void;
  /**
   * The bus is subscribed again (or for the first time): messages may have been missed before.
   * @param downMs how long it was not subscribed, after a drop; undefined the first time
   */
  onUp(downMs: number | undefined): void;
  /** The subscriber connection dropped: from now on messages are missed until {@link onUp}. */
  onDown(): void;
  /** A background failure (publish, subscribe, a message that does not decode). */
  onError(error: unknown): void;
}

/** The names `bus` knows: every key of {@link InvalidationBusOptions}. */
const BUS_OPTIONS = ['channel'] as const satisfies readonly (keyof InvalidationBusOptions)[];
type _EveryInvalidationBusOption = NoneMissing<Exclude<keyof InvalidationBusOptions, (typeof BUS_OPTIONS)[number]>>;
/** Most messages waiting for a retry; beyond it they are replaced by one `clear`. */
const MAX_UNSENT = 1_000;
/** First and longest wait between retries of unsent messages, in ms. */
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 2_000;

/**
 * The pub/sub bus that keeps the L1 tiers of several instances in step: every write,
 * invalidation, version bump and clear is published on one channel; every other instance
 * drops its L1 copies (messages carry the sender's instance id, so a sender ignores its own).
 * It listens on a dedicated subscriber connection (a `duplicate()` of the store's client) and
 * publishes over the store's own connection, under its timeout and breaker. It reports when
 * the subscription is lost and regained, so the owner can stop trusting its L1 meanwhile.
 *
 * A message Redis did not take (the publishing connection failed after the change itself
 * went through) is not dropped: it waits in a bounded list (beyond {@link MAX_UNSENT}, one
 * `clear` replaces them all) and is published again every 0.1 s, backing off to 2 s, until
 * Redis takes it (and once more, within the timeout, on close). Messages only drop copies, so
 * their order does not matter.
 */
export class InvalidationBus {
  /** A random id of this instance. */
  readonly instanceId = randomBytes(9).toString('base64url');
  /** The channel. */
  readonly channel: string;
  private readonly subscriber: RedisClient;
  private readonly listeners = new Set<(message: InvalidationMessage) => void>();
  private subscribed = false;
  private closed = false;
  /** When the subscription was lost, until it is back. */
  private downSince: number | undefined;
  /** Bodies Redis did not take, waiting for a retry. */
  private unsent: string[] = [];
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private retryMs = RETRY_FIRST_MS;

  constructor(
    private readonly store: RedisStore,
    options: InvalidationBusOptions,
    private readonly handlers: InvalidationBusHandlers,
  ) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`TieredStore: bus must be an object or false; got ${quote(options)}`);
    checkKnownOptions('TieredStore', options, BUS_OPTIONS, 'bus');
    if (options.channel !== undefined && (typeof options.channel !== 'string' || options.channel === '')) {
      throw new TypeError(`TieredStore: bus.channel must be a non-empty string; got ${quote(options.channel)}`);
    }
    this.channel = options.channel ?? INVALIDATION_BUS_DEFAULTS.channel;
    const client = store.client;
    this.subscriber = store.isCluster
      ? (client as Cluster).duplicate()
      : (client as Redis).duplicate({ enableOfflineQueue: true, autoResubscribe: false, maxRetriesPerRequest: null });
    this.subscriber.on('error', (error: unknown) => this.handlers.onError(new StoreError(`invalidation bus: ${(error as Error)?.message}`, { cause: error })));
    this.subscriber.on('ready', () => this.subscribe());
    this.subscriber.on('close', () => this.down());
    this.subscriber.on('end', () => this.down());
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel === this.channel) this.receive(text);
    });
    if (this.subscriber.status === 'ready') this.subscribe();
  }

  /** Whether the bus is subscribed now (no message can have been missed since it last was not). */
  get isSubscribed(): boolean {
    return this.subscribed;
  }

  /**
   * Calls `listener` with every message from another instance, after the owner applied it
   * (for metrics and tests). @returns a function that unsubscribes
   */
  onInvalidation(listener: (message: InvalidationMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Messages waiting to be published again (see the class comment). */
  get unsentMessages(): number {
    return this.unsent.length;
  }

  /**
   * Tells every other instance. Rejects when Redis does not take the message; the message is
   * then kept and published again until Redis takes it.
   */
  async publish(message: Omit<InvalidationMessage, 'from'>): Promise<void> {
    const body: Record<string, unknown> = { i: this.instanceId };
    if (message.keys) body.k = message.keys;
    if (message.versions) body.v = message.versions;
    if (message.clear) body.c = 1;
    const text = JSON.stringify(body);
    try {
      await this.store.publish(this.channel, text);
    } catch (error) {
      this.keep(text);
      throw error;
    }
  }

  /** Keeps a message Redis did not take, for the retry loop. */
  private keep(text: string): void {
    if (this.closed) return;
    if (this.unsent.length >= MAX_UNSENT) this.unsent = [JSON.stringify({ i: this.instanceId, c: 1 })];
    else this.unsent.push(text);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryUnsent();
    }, this.retryMs);
    this.retryTimer.unref?.();
  }

  /** Publishes the waiting messages again, in order; stops at the first Redis does not take. */
  private async retryUnsent(): Promise<boolean> {
    while (this.unsent.length > 0) {
      const text = this.unsent[0]!;
      try {
        await this.store.publish(this.channel, text);
      } catch {
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        this.scheduleRetry();
        return false;
      }
      if (this.unsent[0] === text) this.unsent.shift();
    }
    this.retryMs = RETRY_FIRST_MS;
    return true;
  }

  /** Unsubscribes and closes the subscriber connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // One last try for messages still waiting (each publish is bounded by the store's timeout).
    if (this.unsent.length > 0) await this.retryUnsent();
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.unsent = [];
    this.subscribed = false;
    this.listeners.clear();
    try {
      if (this.subscriber.status === 'ready') {
        await Promise.race([this.subscriber.quit(), new Promise((resolve) => setTimeout(resolve, this.store.timeoutMs).unref())]);
      }
    } catch {
      // closing either way
    } finally {
      this.subscriber.disconnect();
    }
  }

  private subscribe(): void {
    if (this.closed) return;
    this.subscriber.subscribe(this.channel).then(
      () => {
        if (this.closed || this.subscribed || this.subscriber.status !== 'ready') return;
        this.subscribed = true;
        const downSince = this.downSince;
        this.downSince = undefined;
        this.handlers.onUp(downSince === undefined ? undefined : Math.max(0, Date.now() - downSince));
      },
      (error: unknown) => this.handlers.onError(new StoreError(`invalidation bus: subscribe failed: ${(error as Error)?.message}`, { cause: error })),
    );
  }

  private down(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.downSince = Date.now();
    this.handlers.onDown();
  }

  private receive(text: string): void {
    let message: InvalidationMessage | undefined;
    try {
      message = parseMessage(text);
    } catch (error) {
      // A message we cannot read may have been an invalidation: the owner drops its whole L1.
      this.handlers.onError(new SerializationError(`invalidation bus: unreadable message ${quote(text.slice(0, 200))}`, { cause: error }));
      this.handlers.onMessage({ from: '?', clear: true });
      return;
    }
    if (message.from === this.instanceId) return;
    this.handlers.onMessage(message);
    for (const listener of this.listeners) {
      try {
        listener(message);
      } catch (error) {
        this.handlers.onError(error);
      }
    }
  }
}

/** Parses and checks a bus message. @throws on anything but the documented shape */
function parseMessage(text: string): InvalidationMessage {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || typeof (raw as { i?: unknown }).i !== 'string') throw new TypeError('not a bus message');
  const { i, k, v, c } = raw as { i: string; k?: unknown; v?: unknown; c?: unknown };
  const message: InvalidationMessage = { from: i };
  if (k !== undefined) {
    if (!Array.isArray(k) || !k.every((key) => typeof key === 'string')) throw new TypeError('k must be an array of strings');
    message.keys = k;
  }
  if (v !== undefined) {
    if (!Array.isArray(v) || !v.every((pair) => Array.isArray(pair) && typeof pair[0] === 'string' && Number.isSafeInteger(pair[1]))) {
      throw new TypeError('v must be an array of [key, integer] pairs');
    }
    message.versions = v as Array<[string, number]>;
  }
  if (c !== undefined) {
    if (c !== 1) throw new TypeError('c must be 1');
    message.clear = true;
  }
  return message;
}
