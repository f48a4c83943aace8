/**
 * RedisStore: the {@link CacheStore} on Redis, a facade over small files (ioredis's layout):
 *
 * - `store-options.ts` checks the options; `connection.ts` opens and closes the connections;
 * - `command-sender.ts` is the one path every command takes (timeouts, breaker, waiting for the
 *   connection, direct sends and bursts: `command-burst.ts`); `pending-commands.ts` settles them;
 * - `store-scripts.ts` holds the Lua scripts; `entry-codec.ts` the entry bytes;
 *   `entry-replies.ts` turns replies into results;
 * - `versioned-reads.ts` reads entries with their versions; `version-counters.ts` parses,
 *   creates and bumps the counters; `version-mirror.ts` keeps exact copies of them
 *   (`trackVersions`); `scope-keys.ts` is what `clear()` removes.
 */

import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { CacheStore, StoreHooks, StoreState, StoredEntry } from '../../cache-store.js';
import { CircuitOpenError, StoreError, ValueTooLargeError } from '../../errors.js';
import type { CircuitState } from '../../options/circuit-breaker.js';
import type { RedisClient, RedisStoreOptions } from '../../options/redis-store.js';
import { MsgpackSerializer, type Serializer } from '../../serializer.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { CommandSender } from './command-sender.js';
import { closeOwnedClient, keyPrefixOf, openMirrorConnection, openStoreClient } from './connection.js';
import { encodeEntry, ENTRY_FORMAT, ENTRY_MAGIC, generationBytes } from './entry-codec.js';
import { EntryReplies, type RedisReadResult } from './entry-replies.js';
import type { ScriptClient } from './lua-script.js';
import { OperationDeadlines } from './operation-deadlines.js';
import { ScopeKeys } from './scope-keys.js';
import { resolveRedisStoreOptions } from './store-options.js';
import { RELEASE, WRITE_IF, WRITE_TOMBSTONE } from './store-scripts.js';
import { VersionCounters } from './version-counters.js';
import { VersionMirror } from './version-mirror.js';
import { VersionedReads } from './versioned-reads.js';

export type { RedisReadResult } from './entry-replies.js';
export { counterBase } from './version-counters.js';

const MAGIC = Buffer.from([ENTRY_MAGIC, ENTRY_FORMAT]);
const NO_GENERATION = Buffer.alloc(0);

/**
 * A {@link CacheStore} on Redis through ioredis (a single connection or a Cluster).
 *
 * - A read is one command: `MGET key versionKey...` (on a Cluster, parallel `GET`s, since the
 *   keys may live in different hash slots), or `GET key` while the versions it needs are
 *   tracked (`trackVersions`, the default: see `version-mirror.ts`; reads then go on the
 *   mirror's connection). An entry is one string value: a fixed header (generation, flags,
 *   expiry, versions; see `entry-codec.ts`) and the serialized value.
 * - `write` is `SET key value PX ttl`; `writeIf` a Lua compare-and-set on the generation bytes;
 *   `bump` one script of `INCR`s; locks `SET NX PX` and a compare-and-delete script; `clear`
 *   `SCAN` + `UNLINK` over the runtime prefix only (see `scope-keys.ts`).
 * - Every operation has a timeout (`timeoutMs`) and passes a circuit breaker, and is never put
 *   in ioredis's offline queue (see `command-sender.ts`).
 * - Version counters are opaque integers, created at a random base (see `version-counters.ts`).
 * - An entry bigger than `maxValueBytes` is not stored (see that option).
 * - Bytes under a key that do not decode are a miss, reported through the runtime's error
 *   hook as a `SerializationError`; decoded values never carry a polluted prototype.
 */
export class RedisStore implements CacheStore {
  readonly name: string;
  /** Every operation has its own deadline (`timeoutMs`), so the runtime adds none. */
  readonly enforcesTimeouts = true;
  /** The ioredis client (passed in, or opened by the store). */
  readonly client: RedisClient;
  /** The per-operation timeout, in ms. */
  readonly timeoutMs: number;
  /** The largest encoded entry stored, in bytes (see `maxValueBytes`). */
  readonly maxValueBytes: number;
  /** Values not cached because they were bigger than {@link maxValueBytes}. */
  oversizedValues = 0;
  /** The store's circuit breaker. */
  readonly breaker: CircuitBreaker;
  /** Whether the client is a Cluster (multi-key commands are split by key). */
  readonly isCluster: boolean;
  private readonly cmd: Redis;
  private readonly sender: CommandSender;
  private readonly counters: VersionCounters;
  private readonly reads: VersionedReads;
  /** Copies of the version counters (none on a Cluster or with `trackVersions: false`). */
  private readonly mirror: VersionMirror | undefined;
  private readonly replies: EntryReplies;
  private readonly scopes: ScopeKeys;
  private readonly owned: boolean;
  private readonly ownSerializer: Serializer | undefined;
  private serializer: Serializer;
  private hooks: StoreHooks = {};
  private closed = false;
  /** The client was ready once: a later 'ready' ends an outage (the first is start-up, not a recovery). */
  private everReady: boolean;
  /** When the client's connection dropped (the first 'close' after it was ready), until it is ready again. */
  private connectionDownSince: number | undefined;
  /** When the breaker opened (the first time in this outage: a failed probe re-opens it), until it closes. */
  private breakerOpenSince: number | undefined;
  /** The client is ready: the end of an outage is reported, then the sender resumes (which closes the breaker). */
  private readonly onClientReady = () => {
    if (!this.everReady) this.everReady = true;
    else if (this.connectionDownSince !== undefined) this.recovered('connection', this.connectionDownSince);
    this.connectionDownSince = undefined;
    this.sender.onReady();
  };
  /** The client's connection dropped (fires again on every failed reconnect attempt: only the first counts). */
  private readonly onClientClose = () => {
    if (this.everReady && this.connectionDownSince === undefined) this.connectionDownSince = Date.now();
  };
  /** The client was closed for good: the version mirror's connection goes with it. */
  private readonly onClientEnd = () => this.mirror?.close();
  private readonly onClientError = (error: unknown) => this.hooks.onError?.(new StoreError(`${this.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error }));

  constructor(options: RedisStoreOptions = {}) {
    const resolved = resolveRedisStoreOptions(options);
    const name = (this.name = resolved.name);
    this.timeoutMs = resolved.timeoutMs;
    this.maxValueBytes = resolved.maxValueBytes;
    this.ownSerializer = resolved.serializer;
    this.serializer = resolved.serializer ?? new MsgpackSerializer();
    this.scopes = new ScopeKeys(resolved.scope);
    this.replies = new EntryReplies({ name, serializer: () => this.serializer, report: (error) => this.hooks.onError?.(error) });
    const userOnStateChange = resolved.breaker.onStateChange;
    this.breaker = newBreaker({
      ...resolved.breaker,
      onStateChange: (state, cause) => {
        if (state === 'closed' && this.breakerOpenSince !== undefined) {
          const since = this.breakerOpenSince;
          this.breakerOpenSince = undefined;
          this.recovered('breaker', since);
        }
        if (state === 'open') {
          this.breakerOpenSince ??= Date.now();
          const message = `${name}: circuit opened after ${this.breaker.failureThreshold} consecutive failures; operations fail fast for ${this.breaker.cooldownMs} ms, then one probes`;
          this.hooks.onError?.(new CircuitOpenError(message, { cause }));
        }
        userOnStateChange?.(state, cause);
      },
    });
    ({ client: this.client, owned: this.owned } = openStoreClient(options));
    if (this.owned) this.client.on('error', this.onClientError);
    const cmd = (this.cmd = this.client as Redis);
    this.isCluster = (this.client as { isCluster?: boolean }).isCluster === true;
    const keyPrefix = keyPrefixOf(cmd);
    if (!this.isCluster && resolved.trackVersions) {
      this.mirror = new VersionMirror({
        connect: () => openMirrorConnection(cmd, name),
        keyPrefix: keyPrefix ?? '',
        onError: (error) =>
          this.hooks.onError?.(
            new StoreError(`${name}: cannot track versions (CLIENT TRACKING); every read reads its versions: ${(error as Error)?.message}`, { cause: error }),
          ),
        onRecover: (downSince) => this.recovered('tracking', downSince),
      });
      this.client.on('end', this.onClientEnd);
    }
    const context = { name, timeoutMs: this.timeoutMs, breaker: this.breaker, deadlines: new OperationDeadlines(this.timeoutMs) };
    this.sender = new CommandSender(this.client, this.isCluster, context, keyPrefix, () => this.mirror?.reader);
    this.everReady = this.client.status === 'ready';
    this.client.on('ready', this.onClientReady);
    this.client.on('close', this.onClientClose);
    this.counters = new VersionCounters(this.sender, cmd, this.isCluster);
    this.reads = new VersionedReads(this.sender, cmd, this.isCluster, this.counters, this.mirror, this.replies);
  }

  /** The breaker's state: `closed` (normal), `open` (failing fast) or `half-open` (probing). */
  get circuit(): CircuitState {
    return this.breaker.state;
  }

  /**
   * Whether namespace and tag versions are tracked right now (see `trackVersions`): reads then
   * go on the tracking connection, and a warm hit is one `GET`. False until the tracking
   * connection is set up, while it is down, on a Cluster, and with `trackVersions: false`.
   */
  get versionsTracked(): boolean {
    return this.mirror?.reader !== undefined;
  }

  /** The breaker, version tracking and operations waiting, for `runtime.inspect()`. */
  inspect(): StoreState {
    return { name: this.name, breaker: this.breaker.state, versionsTracked: this.versionsTracked, pendingOperations: this.pendingOperations };
  }

  /** Operations waiting for Redis right now (bounded: the breaker stops new ones while Redis is unreachable). */
  get pendingOperations(): number {
    return this.sender.pending;
  }

  attach(hooks: StoreHooks): void {
    this.hooks = hooks;
    if (this.ownSerializer === undefined && hooks.serializer !== undefined) this.serializer = hooks.serializer;
    if (hooks.prefix) this.scopes.notePrefix(hooks.prefix);
  }

  read(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    return this.reads.read(key, versionKeys);
  }

  /** Several entries with their versions in one `MGET` (see `versioned-reads.ts`). */
  readMany(keys: readonly string[], versionKeys: ReadonlyArray<readonly string[]>): Promise<RedisReadResult[]> {
    return this.reads.readMany(keys, versionKeys);
  }

  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    return this.reads.readVersions(versionKeys);
  }

  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    return this.writeChecked(key, entry, ttlMs).then(() => undefined);
  }

  /**
   * {@link write}, telling whether the value was stored. @returns false when it was bigger
   * than `maxValueBytes` and a tombstone of the entry's generation was stored instead
   */
  writeChecked(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    const set = (bytes: Buffer) => this.sender.send({ name: 'set', args: ttlMs > 0 ? [key, bytes, 'PX', String(pxOf(ttlMs))] : [key, bytes] });
    return this.withBytes(
      key,
      entry,
      ttlMs,
      (bytes) => set(bytes).then(() => true),
      () => this.withBytes(key, { g: entry.g, d: 1 }, ttlMs, (bytes) => set(bytes).then(() => false)),
    );
  }

  /** A Lua compare-and-set on the generation bytes (see `WRITE_IF`). */
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    const expectedBytes = expected === undefined ? NO_GENERATION : generationBytes(expected);
    const send = (bytes: Buffer) => this.sender.send(() => WRITE_IF.run(this.scripts, [key], [expectedBytes, bytes, ttlMs > 0 ? String(pxOf(ttlMs)) : '0', MAGIC]), (reply) => reply === 1);
    return this.withBytes(key, entry, ttlMs, send, () => Promise.resolve(false));
  }

  /** A Lua script (see `WRITE_TOMBSTONE`): a queued write-behind value of another writer is kept. */
  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    const args = (bytes: Buffer) => [bytes, ttlMs > 0 ? String(pxOf(ttlMs)) : '0', writer === undefined ? '' : String(writer), MAGIC];
    return this.withBytes(key, tombstone, ttlMs, (bytes) => this.sender.send(() => WRITE_TOMBSTONE.run(this.scripts, [key], args(bytes)), (reply) => reply === 1));
  }

  /**
   * Encodes an entry for `key` (a failure rejects) and sends it with `send`, or, when it is
   * bigger than `maxValueBytes`, counts and reports it and runs `tooBig` instead.
   */
  private withBytes<T>(key: string, entry: StoredEntry, ttlMs: number, send: (bytes: Buffer) => Promise<T>, tooBig?: () => Promise<T>): Promise<T> {
    let bytes: Buffer;
    try {
      bytes = encodeEntry(entry, ttlMs > 0 ? Date.now() + ttlMs : 0, this.serializer);
    } catch (error) {
      return Promise.reject(error);
    }
    this.scopes.noteKey(key);
    if (bytes.length > this.maxValueBytes && tooBig !== undefined) {
      if (this.oversizedValues++ === 0) {
        const message = `${this.name}: a value of ${bytes.length} bytes under '${key}' is bigger than maxValueBytes (${this.maxValueBytes}) and was not cached; later ones are only counted (oversizedValues)`;
        this.hooks.onError?.(new ValueTooLargeError(message));
      }
      return tooBig();
    }
    return send(bytes);
  }

  delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    for (const key of keys) this.scopes.noteKey(key);
    const c = this.cmd;
    if (this.isCluster) return this.sender.send(() => Promise.all(keys.map((k) => c.unlink(k))), (counts) => counts.reduce((a, b) => a + b, 0));
    return this.sender.send(() => c.unlink(...keys));
  }

  bump(versionKeys: readonly string[]): Promise<number[]> {
    if (versionKeys.length === 0) return Promise.resolve([]);
    for (const key of versionKeys) this.scopes.noteKey(key);
    this.mirror?.forget(versionKeys);
    return this.counters.bump(versionKeys);
  }

  acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(16).toString('base64url');
    const c = this.cmd;
    return this.sender.send(() => c.set(key, token, 'PX', pxOf(ttlMs), 'NX'), (reply) => (reply === 'OK' ? token : undefined));
  }

  releaseLock(key: string, token: string): Promise<void> {
    return this.sender.send(() => RELEASE.run(this.scripts, [key], [token]), () => undefined);
  }

  /** Publishes `message` on `channel` over the store's connection, under its timeout and breaker. @returns how many subscribers received it */
  publish(channel: string, message: string | Buffer): Promise<number> {
    const c = this.cmd;
    return this.sender.send(() => c.publish(channel, message));
  }

  /** Deletes every entry, lock and version counter under the runtime prefix (see `scope` and `scope-keys.ts`); other keys are never touched. */
  clear(): Promise<void> {
    this.mirror?.reset();
    return this.scopes.clear(this.sender, this.isCluster ? (this.client as Cluster).nodes('master') : [this.cmd], this.isCluster);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.mirror?.close();
    this.client.off('end', this.onClientEnd);
    this.client.off('ready', this.onClientReady);
    this.client.off('close', this.onClientClose);
    this.sender.close();
    if (!this.owned) return;
    this.client.off('error', this.onClientError);
    await closeOwnedClient(this.client, this.timeoutMs);
  }

  /** Tells the runtime that `what` works again, down since `since` (ms, `Date.now()`); nothing once closed. */
  private recovered(what: 'connection' | 'breaker' | 'tracking', since: number): void {
    if (this.closed) return;
    this.hooks.onRecover?.({ store: this.name, what, downMs: Math.max(0, Date.now() - since) });
  }

  /** The client as the Lua script runner sees it (ioredis's typings omit the *Buffer eval methods it has). */
  private get scripts(): ScriptClient {
    return this.cmd as unknown as ScriptClient;
  }
}

/** A TTL in whole milliseconds for `PX` (at least 1). */
function pxOf(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

/** A circuit breaker whose option errors start with `RedisStore:` like the store's own. */
function newBreaker(options: ConstructorParameters<typeof CircuitBreaker>[0]): CircuitBreaker {
  try {
    return new CircuitBreaker(options);
  } catch (error) {
    throw error instanceof TypeError ? new TypeError(`RedisStore: ${error.message}`, { cause: error }) : error;
  }
}
