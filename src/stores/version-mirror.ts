/**
 * Local copies of a RedisStore's version counters (namespace and tag versions), kept exact by
 * Redis itself, so that a hit needs one `GET` of its entry instead of an `MGET` of the entry
 * and its counters.
 *
 * A connection of the mirror's own turns on server-assisted client-side caching in broadcast
 * mode for the counters' key prefixes (`CLIENT TRACKING ON REDIRECT <own id> BCAST PREFIX
 * <scope>#n: PREFIX <scope>#t:`) and subscribes to `__redis__:invalidate`; Redis then announces
 * every change of a counter (INCR, DEL, UNLINK, expiry, eviction, FLUSHDB), whoever made it.
 *
 * - A counter is copied only from a read that started while the mirror was live and before
 *   any announcement arrived since (an epoch check), so an announcement that overtakes a read
 *   is never undone by its older answer.
 * - Redis writes an announcement before it answers anything sent later, and this process
 *   handles the earlier-ready socket first, so a read issued after a counter changed finds the
 *   copy already dropped.
 * - While the connection is down (or being set up) the mirror is not live and holds nothing:
 *   reads fall back to reading their counters. Every {@link MIRROR_MAX_AGE_MS} all copies are
 *   dropped and read again, which bounds staleness if the connection dies without Redis or
 *   the kernel noticing.
 * - Servers without `CLIENT TRACKING` (Redis < 6, or an ACL that forbids it) turn the mirror
 *   off for good; nothing else changes.
 *
 * The connection is unref'd: it never keeps a process alive.
 */

import type { Redis } from 'ioredis';
import { VERSION_KEY_MARKERS, versionKeyScope } from '../runtime/keys.js';

/** Every copy is dropped this often (in ms), so none is trusted much longer without a fresh read. */
export const MIRROR_MAX_AGE_MS = 1000;
/** Most counters the mirror holds; beyond it, it starts over. */
const MAX_COPIES = 10_000;
const CHANNEL = '__redis__:invalidate';

/** What the mirror needs from its store. */
export interface VersionMirrorOptions {
  /** Opens the mirror's connection (RESP2, no key prefix, no auto-resubscribe, lazy). */
  connect: () => Redis;
  /** The key prefix of the store's client: Redis names keys with it; the store without it. */
  keyPrefix: string;
  /** Reports a setup failure (the mirror then stays off). */
  onError: (error: unknown) => void;
}

/** See the file comment. */
export class VersionMirror {
  /** Counter key -> its value, as a one-element array (what a read of that one counter returns, shared). */
  private readonly copies = new Map<string, readonly [number]>();
  private readonly dropAll = () => this.copies.clear();
  private ageTimer: ReturnType<typeof setInterval> | undefined;
  private readonly scopes = new Set<string>();
  private connection: Redis | undefined;
  private live_ = false;
  private epoch_ = 0;
  private off = false;

  private readonly prefixBytes: number;

  constructor(private readonly options: VersionMirrorOptions) {
    this.prefixBytes = Buffer.byteLength(options.keyPrefix);
  }

  /** Whether copies are being kept (the tracking connection is up and subscribed). */
  get live(): boolean {
    return this.live_;
  }

  /** Changes whenever a copy may have become wrong; a read copies its counters only if it is unchanged. */
  get epoch(): number {
    return this.epoch_;
  }

  /**
   * The current value of each counter. @returns undefined unless every one is copied and
   * recent (the caller then reads them and hands them to {@link learn})
   */
  lookup(keys: readonly string[]): readonly number[] | undefined {
    if (!this.live_) return undefined;
    if (keys.length === 1) return this.copies.get(keys[0]!);
    const values = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const copy = this.copies.get(keys[i]!);
      if (copy === undefined) return undefined;
      values[i] = copy[0];
    }
    return values;
  }

  /** Copies counters read from Redis by a read that started at `epoch`. Starts the mirror on first use. */
  learn(keys: readonly string[], values: readonly number[], epoch: number): void {
    if (this.off) return;
    let covered = true;
    for (const key of keys) covered = this.track(key) && covered;
    if (!covered || !this.live_ || epoch !== this.epoch_) return;
    if (this.copies.size + keys.length > MAX_COPIES) this.copies.clear();
    for (let i = 0; i < keys.length; i++) this.copies.set(keys[i]!, [values[i]!]);
  }

  /** Drops the copies of counters this process is about to change. */
  forget(keys: readonly string[]): void {
    this.epoch_++;
    for (const key of keys) this.copies.delete(key);
  }

  /** Drops every copy (the store cleared its keys). */
  reset(): void {
    this.epoch_++;
    this.copies.clear();
  }

  /** Closes the connection; the mirror stays off. */
  close(): void {
    this.off = true;
    this.down();
    const connection = this.connection;
    this.connection = undefined;
    connection?.disconnect();
  }

  /**
   * Makes sure the prefix of `key` (`<scope>#n:` or `<scope>#t:`) is tracked, opening the
   * connection or setting it up again with the new scope. @returns whether it already was
   */
  private track(key: string): boolean {
    const scope = versionKeyScope(key);
    if (scope === undefined) return false;
    if (this.scopes.has(scope)) return true;
    this.scopes.add(scope);
    if (this.connection === undefined) this.open();
    else {
      // Tracking prefixes are set before subscribing: set up again, with every scope.
      this.down();
      this.connection.disconnect(true);
    }
    return false;
  }

  private open(): void {
    let connection: Redis;
    try {
      connection = this.options.connect();
    } catch (error) {
      this.disable(error);
      return;
    }
    this.connection = connection;
    connection.on('connect', () => (connection as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
    connection.on('ready', () => void this.setUp(connection));
    connection.on('close', () => this.down());
    connection.on('error', () => undefined); // the store's own client reports connection trouble
    connection.on('messageBuffer', (channel: Buffer, message: Buffer[] | null) => this.announced(channel, message));
    connection.connect().catch(() => undefined);
  }

  private async setUp(connection: Redis): Promise<void> {
    try {
      const id = await connection.client('ID');
      const prefixes: string[] = [];
      for (const scope of this.scopes) for (const marker of VERSION_KEY_MARKERS) prefixes.push('PREFIX', `${this.options.keyPrefix}${scope}${marker}`);
      await connection.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...prefixes);
      await connection.subscribe(CHANNEL);
    } catch (error) {
      if (this.connection !== connection || connection.status !== 'ready') return; // lost meanwhile; the next 'ready' retries
      if ((error as Error | null)?.name === 'ReplyError') this.disable(error);
      return;
    }
    if (this.connection !== connection || connection.status !== 'ready' || this.off) return;
    this.copies.clear();
    this.epoch_++;
    this.live_ = true;
    this.ageTimer ??= setInterval(this.dropAll, MIRROR_MAX_AGE_MS);
    this.ageTimer.unref?.();
  }

  private announced(channel: Buffer, message: Buffer[] | null): void {
    if (channel.toString() !== CHANNEL) return;
    this.epoch_++;
    if (!Array.isArray(message)) {
      this.copies.clear(); // FLUSHDB / FLUSHALL
      return;
    }
    const prefixBytes = this.prefixBytes;
    for (const key of message) this.copies.delete(prefixBytes ? key.subarray(prefixBytes).toString() : key.toString());
  }

  private down(): void {
    this.live_ = false;
    this.epoch_++;
    this.copies.clear();
    if (this.ageTimer !== undefined) {
      clearInterval(this.ageTimer);
      this.ageTimer = undefined;
    }
  }

  private disable(error: unknown): void {
    this.off = true;
    this.down();
    this.connection?.disconnect();
    this.connection = undefined;
    this.options.onError(error);
  }
}
