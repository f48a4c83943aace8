/**
 * Local copies of a RedisStore's version counters (namespace and tag versions), kept exact by
 * Redis itself, so that a hit needs one `GET` of its entry instead of an `MGET` of the entry
 * and its counters.
 *
 * The mirror owns one connection, under RESP3, on which Redis's server-assisted client-side
 * caching is on in broadcast mode for the counters' key prefixes (`CLIENT TRACKING ON BCAST
 * PREFIX <scope>#n: PREFIX <scope>#t:`): Redis announces every change of a counter (INCR, DEL,
 * UNLINK, expiry, eviction, FLUSHDB), whoever made it, as an `invalidate` push on that
 * connection (see `invalidation-pushes.ts`). The store sends its reads on this same connection
 * while the mirror is live ({@link VersionMirror.reader}). In one stream Redis writes the
 * announcement of a change before the reply to any command it ran after that change, and the
 * push is handled before that reply: so a read that Redis ran after a counter changed finds
 * its copy already dropped (or its epoch moved, and the store reads the counters again). That
 * is as strict as reading the counters with every entry, from any instance.
 *
 * - A counter is copied only from a read that no announcement overtook (an epoch check), and
 *   only once its prefix is tracked: turning on a prefix moves the epoch, so no read that may
 *   have run before it copies anything.
 * - While the connection is down (or being set up) the mirror is not live and holds nothing:
 *   reads go on the store's own connection and read their counters. Every
 *   {@link MIRROR_MAX_AGE_MS} all copies are dropped and read again, which bounds the harm of
 *   a connection that dies without Redis or the kernel noticing.
 * - Servers without RESP3 or `CLIENT TRACKING` (Redis < 6, or an ACL that forbids it), and an
 *   ioredis whose pushes cannot be heard, turn the mirror off for good; nothing else changes.
 *
 * The connection is unref'd: it never keeps a process alive.
 */

import type { Redis } from 'ioredis';
import { VERSION_KEY_MARKERS, versionKeyScope } from '../key-layout.js';
import { INVALIDATE_EVENT, listenForInvalidations } from './invalidation-pushes.js';
import { VersionCopies } from '../structures/version-copies.js';

/** Every copy is dropped this often (in ms), so none is trusted much longer without a fresh read. */
export const MIRROR_MAX_AGE_MS = 1000;
/** Most counters the mirror holds; beyond it, it starts over. */
const MAX_COPIES = 10_000;

/** What the mirror needs from its store. */
export interface VersionMirrorOptions {
  /** Opens the mirror's connection (RESP3, the store client's key prefix, lazy). */
  connect: () => Redis;
  /** The key prefix of the store's client: Redis names keys with it; the store without it. */
  keyPrefix: string;
  /** Reports a setup failure (the mirror then stays off). */
  onError: (error: unknown) => void;
  /**
   * The mirror is live again after its connection dropped; `downSince` is when it went down
   * (ms, `Date.now()`). Once per outage; never for the first set-up.
   */
  onRecover?: (downSince: number) => void;
}

/** See the file comment. */
export class VersionMirror {
  /** The copies (see `structures/version-copies.ts`). */
  private readonly copies = new VersionCopies(MAX_COPIES);
  private readonly dropAll = () => this.copies.clear();
  private ageTimer: ReturnType<typeof setInterval> | undefined;
  /** Scopes whose counters should be tracked. */
  private readonly wanted = new Set<string>();
  /** Scopes whose tracking Redis confirmed on the current connection. */
  private readonly tracked = new Set<string>();
  private connection: Redis | undefined;
  private opened = false;
  /** The connection is up, speaks RESP3 and hears announcements (reads may go on it). */
  private live = false;
  private epoch_ = 0;
  private off = false;
  /** When the live mirror went down (the first drop of this outage), until it is live again. */
  private downSince: number | undefined;

  private readonly prefixBytes: number;

  constructor(private readonly options: VersionMirrorOptions) {
    this.prefixBytes = Buffer.byteLength(options.keyPrefix);
  }

  /** The connection reads go on while the mirror is live (and the connection ready), else undefined. */
  get reader(): Redis | undefined {
    return this.live && this.connection!.status === 'ready' ? this.connection : undefined;
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
    return this.live ? this.copies.lookup(keys) : undefined;
  }

  /** Copies counters read from Redis by a read that started at `epoch`. Starts the mirror on first use. */
  learn(keys: readonly string[], values: readonly number[], epoch: number): void {
    if (this.off) return;
    let covered = true;
    for (const key of keys) covered = this.track(key) && covered;
    if (!covered || !this.live || epoch !== this.epoch_) return;
    this.copies.set(keys, values);
  }

  /** Drops the copies of counters this process is about to change. */
  forget(keys: readonly string[]): void {
    this.epoch_++;
    this.copies.delete(keys);
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
   * Makes sure the prefixes of `key`'s scope (`<scope>#n:`, `<scope>#t:`) are tracked, opening
   * the connection or asking for them on it. @returns whether they already are
   */
  private track(key: string): boolean {
    const scope = versionKeyScope(key);
    if (scope === undefined) return false;
    if (this.tracked.has(scope)) return true;
    if (this.wanted.has(scope)) return false;
    this.wanted.add(scope);
    if (!this.opened) this.open();
    else if (this.live) this.requestTracking(this.connection!, [scope]);
    return false;
  }

  private open(): void {
    this.opened = true;
    void listenForInvalidations().then((heard) => {
      if (this.off) return;
      if (heard) this.connect();
      else this.disable(new Error('this ioredis does not expose RESP3 pushes'));
    });
  }

  private connect(): void {
    let connection: Redis;
    try {
      connection = this.options.connect();
    } catch (error) {
      this.disable(error);
      return;
    }
    this.connection = connection;
    connection.on('connect', () => (connection as unknown as { stream?: { unref?: () => void } }).stream?.unref?.());
    connection.on('ready', () => this.setUp(connection));
    connection.on('close', () => this.down());
    connection.on('error', () => undefined); // the store's own client reports connection trouble
    connection.on(INVALIDATE_EVENT, (keys: Array<Buffer | string> | null) => this.announced(keys));
    connection.connect().catch(() => undefined);
  }

  private setUp(connection: Redis): void {
    if (this.connection !== connection || this.off) return;
    if ((connection as unknown as { condition?: { protocol?: number } }).condition?.protocol !== 3) {
      this.disable(new Error('the server does not speak RESP3 (Redis 6 or later is needed)'));
      return;
    }
    this.copies.clear();
    this.tracked.clear();
    this.epoch_++;
    this.live = true;
    const downSince = this.downSince;
    this.downSince = undefined;
    if (downSince !== undefined) this.options.onRecover?.(downSince);
    this.ageTimer ??= setInterval(this.dropAll, MIRROR_MAX_AGE_MS);
    this.ageTimer.unref?.();
    if (this.wanted.size) this.requestTracking(connection, [...this.wanted]);
  }

  /** Turns tracking on for `scopes` (adding prefixes to those already tracked on this connection). */
  private requestTracking(connection: Redis, scopes: string[]): void {
    const prefixes: string[] = [];
    for (const scope of scopes) for (const marker of VERSION_KEY_MARKERS) prefixes.push('PREFIX', `${this.options.keyPrefix}${scope}${marker}`);
    connection.call('CLIENT', 'TRACKING', 'ON', 'BCAST', ...prefixes).then(
      () => {
        if (this.connection !== connection || !this.live) return; // lost meanwhile; the next 'ready' asks again
        for (const scope of scopes) this.tracked.add(scope);
        // A read that ran before this reply was not covered: it must not copy.
        this.epoch_++;
      },
      (error: unknown) => {
        if (this.connection === connection && connection.status === 'ready' && (error as Error | null)?.name === 'ReplyError') this.disable(error);
      },
    );
  }

  private announced(keys: Array<Buffer | string> | null): void {
    this.epoch_++;
    if (!Array.isArray(keys)) {
      this.copies.clear(); // FLUSHDB / FLUSHALL
      return;
    }
    const prefixBytes = this.prefixBytes;
    for (const key of keys) {
      const name = typeof key === 'string' ? key : key.toString('utf8', prefixBytes);
      this.copies.deleteOne(typeof key === 'string' && prefixBytes ? name.slice(this.options.keyPrefix.length) : name);
    }
  }

  private down(): void {
    // every failed reconnect attempt closes again: only the drop of a live mirror starts an outage
    if (this.live && !this.off) this.downSince ??= Date.now();
    this.live = false;
    this.tracked.clear();
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
