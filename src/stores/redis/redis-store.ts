import { randomBytes } from 'node:crypto';
import { LuaScript, type ScriptClient } from './lua-script.js';
import { checkKnownOptions } from '../../known-options.js';
import { Command, Redis, type Cluster, type RedisOptions } from 'ioredis';
import { PENDING_COUNTER_BITS, type CacheStore, type ReadResult, type StoreHooks, type StoredEntry } from '../../cache-store.js';
import { MsgpackSerializer, type Serializer } from '../../serializer.js';
import { CircuitOpenError, SerializationError, StoreError, ValueTooLargeError } from '../../errors.js';
import { quote } from '../../duration.js';
import { escapeSegment, LOCK_KEY_MARKER, VERSION_KEY_MARKERS } from '../key-layout.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { CircuitState } from '../../options/circuit-breaker.js';
import { OperationDeadlines } from './operation-deadlines.js';
import { DirectCommand, PendingCommand, type CommandContext } from './pending-commands.js';
import { VersionMirror } from './version-mirror.js';
import { RecentEntries, type DecodeGuess } from './recent-entries.js';
import { LUA_FRAMES, packFrameChunks } from './packed-frames.js';
import { decodeEntry, encodeEntry, ENTRY_FORMAT, ENTRY_MAGIC, generationBytes, readGeneration } from './entry-codec.js';
import type { RedisClient, RedisStoreOptions } from '../../options/redis-store.js';
import type { CircuitBreakerOptions } from '../../options/circuit-breaker.js';
import type { NoneMissing } from '../../known-options.js';
import { REDIS_STORE_DEFAULTS } from '../../defaults.js';

/** {@link ReadResult} plus the absolute expiry the writer recorded (0: none), for a tiered L1. */
export interface RedisReadResult extends ReadResult {
  /** When the entry expires in Redis, in ms since the epoch; 0 when it has no TTL or there is no entry. */
  expiresAt: number;
}

/**
 * Compare-and-set on the generation: writes ARGV[2] (PX ARGV[3] unless '0') only if the entry
 * under the key carries the generation bytes ARGV[1] at offset 3, or, when ARGV[1] is empty,
 * only if there is no cachekit entry under the key (foreign bytes count as none).
 */
const WRITE_IF_SCRIPT = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur and string.sub(cur, 1, 2) == ARGV[4] then return 0 end
elseif not cur or string.sub(cur, 4, 11) ~= ARGV[1] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`;

/** Compare-and-delete: releases a lock only for the token that holds it. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const WRITE_IF = new LuaScript(WRITE_IF_SCRIPT);
/**
 * Conditional tombstone (see `CacheStore.writeTombstone`): writes ARGV[1] (PX ARGV[2] unless
 * '0') unless the key holds a cachekit entry (magic ARGV[4]) with the pending flag (2) whose
 * writer (generation / 2^21) is not ARGV[3] ('' : any writer's pending entry is kept).
 */
const WRITE_TOMBSTONE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur and string.len(cur) >= 11 and string.sub(cur, 1, 2) == ARGV[4] and bit.band(string.byte(cur, 3), 2) == 2 then
  if ARGV[3] == '' then return 0 end
  local g = struct.unpack('>d', string.sub(cur, 4, 11))
  if math.floor(g / ${2 ** PENDING_COUNTER_BITS}) ~= tonumber(ARGV[3]) then return 0 end
end
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`);
/**
 * Many SETs in one command. ARGV[1]: frames (see `packed-frames.ts`) of key, value and PX (ms,
 * '0' for none) of each, keys with the client's key prefix. The keys travel inside the one
 * argument (the client pays per argument); the script is only used on a single server, never
 * on a Cluster, so they need no hash slot.
 */
const SET_MANY = new LuaScript(`${LUA_FRAMES}
local f = frames(ARGV[1])
for i = 1, #f, 3 do
  if f[i + 2] == '0' then redis.call('SET', f[i], f[i + 1]) else redis.call('SET', f[i], f[i + 1], 'PX', f[i + 2]) end
end
return #f / 3`);
const RELEASE = new LuaScript(RELEASE_SCRIPT);
/**
 * Creates each missing counter KEYS[i] at its random base ARGV[i] (`SET NX`: a counter that
 * exists keeps its value) and returns every counter's value.
 */
const START_COUNTERS = new LuaScript(`
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[i], 'NX')
  out[i] = redis.call('GET', k)
end
return out`);
/** Increments each counter KEYS[i], creating a missing one at its random base ARGV[i] first. */
const BUMP = new LuaScript(`
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[i], 'NX')
  out[i] = redis.call('INCR', k)
end
return out`);
const MAGIC = Buffer.from([ENTRY_MAGIC, ENTRY_FORMAT]);
const NO_GENERATION = Buffer.alloc(0);
const EMPTY: number[] = [];
/** The Redis command behind each batched read method. */
const COMMAND_NAMES = { getBuffer: 'get', mgetBuffer: 'mget' } as const;
/** The option names RedisStore knows: every key of {@link RedisStoreOptions}, no other. */
const REDIS_STORE_OPTIONS = ['client', 'connection', 'scope', 'serializer', 'timeoutMs', 'maxValueBytes', 'breaker', 'name', 'trackVersions'] as const satisfies readonly (keyof RedisStoreOptions)[];
type _EveryRedisStoreOption = NoneMissing<Exclude<keyof RedisStoreOptions, (typeof REDIS_STORE_OPTIONS)[number]>>;
/** The names `breaker` knows: every key of {@link CircuitBreakerOptions}. */
const BREAKER_OPTIONS = ['failureThreshold', 'cooldownMs', 'onStateChange', 'clock'] as const satisfies readonly (keyof CircuitBreakerOptions)[];
type _EveryCircuitBreakerOption = NoneMissing<Exclude<keyof CircuitBreakerOptions, (typeof BREAKER_OPTIONS)[number]>>;

/** Reconnect after 0.1 s, 0.2 s, ... at most every 2 s. */
const reconnectDelay = (times: number) => Math.min(100 * times, 2000);

/** Defaults of a connection the store opens itself: fail fast instead of queueing, never replay stale commands. */
const OWNED_CONNECTION_DEFAULTS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: reconnectDelay,
};

/**
 * The version mirror's own connection, which also carries the store's reads while it is up:
 * RESP3 (announcements arrive in the same stream as replies), the client's key prefix, no
 * offline queue, in-flight commands failed at once when it drops.
 */
const MIRROR_CONNECTION: RedisOptions = {
  ...OWNED_CONNECTION_DEFAULTS,
  protocol: 3,
  lazyConnect: true,
  autoResubscribe: false,
  enableAutoPipelining: false,
};

/**
 * A {@link CacheStore} on Redis through ioredis (a single connection or a Cluster).
 *
 * - A read is one command: `MGET key versionKey...` (on a Cluster, parallel `GET`s, since the
 *   keys may live in different hash slots), or `GET key` while the versions it needs are
 *   tracked (`trackVersions`, the default: see `version-mirror.ts`; reads then go on the
 *   mirror's connection, and a lone read decodes its key's last bytes while it is out, see
 *   `recent-entries.ts`). An entry is one
 *   string value: a fixed header (generation, flags, expiry, versions; see
 *   `redis-entry-codec.ts`) and the serialized value.
 * - `write` is `SET key value PX ttl`; `writeIf` a Lua compare-and-set on the generation bytes
 *   (`EVALSHA`, falling back to `EVAL` once per server); `bump` one script of `INCR`s; locks
 *   `SET NX PX` and a compare-and-delete script; `clear` `SCAN` + `UNLINK` over the runtime
 *   prefix only (on every master of a Cluster), never `KEYS` or `FLUSHDB`.
 * - Every operation has a timeout (`timeoutMs`) and passes a circuit breaker. No command is
 *   ever put in ioredis's offline queue: while the connection is being (re)established an
 *   operation waits for it at most its timeout; while it is down, operations fail at once.
 * - Version counters are opaque integers: a counter a read finds missing (never bumped,
 *   deleted, evicted) is created at a random base ({@link counterBase}), so a lost counter
 *   never reads as a value it had before, and entries written under it stay stale.
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
  /** Options of a read sent directly (as ioredis's own methods build them: the client's key prefix, replies as bytes). */
  private readonly bufferReply: { keyPrefix?: string; replyEncoding: null };
  /** Copies of the version counters (none on a Cluster or with `trackVersions: false`). */
  private readonly mirror: VersionMirror | undefined;
  private readonly owned: boolean;
  private readonly ownSerializer: Serializer | undefined;
  private serializer: Serializer;
  private hooks: StoreHooks = {};
  private readonly deadlines: OperationDeadlines;
  /** The bytes last read per key, decoded again while the next lone read of the key is out. */
  private readonly recent = new RecentEntries((data) => decodeEntry(data, this.serializer));
  private readonly context: CommandContext;
  private readonly scopeOption: string | undefined;
  private readonly seenScopes = new Set<string>();
  private lastScope = '\u0000';
  /** Reads queued during the current synchronous burst (see {@link batched}); undefined outside a burst. */
  private burst: Array<{ name: string; args: Array<string | Buffer>; command: PendingCommand<any, any> }> | undefined;
  /** Single-counter reads queued in the current burst, by counter key (shared by identical requests). */
  private readonly burstVersionReads = new Map<string, Promise<readonly number[]>>();
  private readyWait: Promise<void> | undefined;
  private readyResolve: (() => void) | undefined;
  private closed = false;
  private readonly onReady = () => {
    this.breaker.reset();
    const resolve = this.readyResolve;
    this.readyWait = undefined;
    this.readyResolve = undefined;
    resolve?.();
  };
  /** The client was closed for good: the version mirror's connection goes with it. */
  private readonly onClientEnd = () => this.mirror?.close();
  private readonly onClientError = (error: unknown) => this.hooks.onError?.(new StoreError(`${this.name}: ${(error as Error)?.message ?? String(error)}`, { cause: error }));

  constructor(options: RedisStoreOptions = {}) {
    checkKnownOptions('RedisStore', options, REDIS_STORE_OPTIONS);
    const { client, connection } = options;
    if (client !== undefined && connection !== undefined) {
      throw new TypeError('RedisStore: give either client (an ioredis Redis or Cluster) or connection (options or a URL), not both');
    }
    if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as Redis).getBuffer !== 'function')) {
      throw new TypeError(`RedisStore: client must be an ioredis Redis or Cluster; got ${quote(client)}`);
    }
    if (connection !== undefined && typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
      throw new TypeError(`RedisStore: connection must be ioredis options or a redis:// URL; got ${quote(connection)}`);
    }
    const timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new TypeError(`RedisStore: timeoutMs must be a number of milliseconds > 0; got ${quote(options.timeoutMs)}`);
    }
    const maxValueBytes = options.maxValueBytes ?? REDIS_STORE_DEFAULTS.maxValueBytes;
    if (!(maxValueBytes === Infinity || (Number.isInteger(maxValueBytes) && maxValueBytes >= 1))) {
      throw new TypeError(`RedisStore: maxValueBytes must be an integer number of bytes >= 1 (or Infinity); got ${quote(options.maxValueBytes)}`);
    }
    if (options.serializer !== undefined && (typeof options.serializer?.serialize !== 'function' || typeof options.serializer?.deserialize !== 'function')) {
      throw new TypeError(`RedisStore: serializer must have serialize() and deserialize(); got ${quote(options.serializer)}`);
    }
    if (options.scope !== undefined && (typeof options.scope !== 'string' || options.scope === '')) {
      throw new TypeError(`RedisStore: scope must be a non-empty string (the runtime prefix); got ${quote(options.scope)}`);
    }
    if (options.trackVersions !== undefined && typeof options.trackVersions !== 'boolean') {
      throw new TypeError(`RedisStore: trackVersions must be true or false; got ${quote(options.trackVersions)}`);
    }
    if (options.breaker !== undefined && options.breaker !== false && (typeof options.breaker !== 'object' || options.breaker === null)) {
      throw new TypeError(`RedisStore: breaker must be an object or false; got ${quote(options.breaker)}`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new TypeError(`RedisStore: name must be a non-empty string; got ${quote(options.name)}`);
    }
    this.name = options.name ?? REDIS_STORE_DEFAULTS.name;
    this.timeoutMs = timeoutMs;
    this.maxValueBytes = maxValueBytes;
    this.scopeOption = options.scope;
    this.ownSerializer = options.serializer;
    this.serializer = options.serializer ?? new MsgpackSerializer();
    this.deadlines = new OperationDeadlines(timeoutMs);
    const breakerOptions = options.breaker === false ? { failureThreshold: Number.MAX_SAFE_INTEGER } : (options.breaker ?? {});
    const userOnStateChange = breakerOptions.onStateChange;
    if (typeof options.breaker === 'object') {
      checkKnownOptions('RedisStore', options.breaker, BREAKER_OPTIONS, 'breaker');
      if (userOnStateChange !== undefined && typeof userOnStateChange !== 'function') {
        throw new TypeError(`RedisStore: breaker.onStateChange must be a function; got ${quote(userOnStateChange)}`);
      }
    }
    this.breaker = newBreaker({
      ...breakerOptions,
      onStateChange: (state, cause) => {
        if (state === 'open') {
          this.hooks.onError?.(
            new CircuitOpenError(
              `${this.name}: circuit opened after ${this.breaker.failureThreshold} consecutive failures; operations fail fast for ${this.breaker.cooldownMs} ms, then one probes`,
              { cause },
            ),
          );
        }
        userOnStateChange?.(state, cause);
      },
    });
    this.context = { name: this.name, timeoutMs, breaker: this.breaker, deadlines: this.deadlines };
    if (client !== undefined) {
      this.client = client;
      this.owned = false;
    } else {
      this.client =
        typeof connection === 'string' ? new Redis(connection, OWNED_CONNECTION_DEFAULTS) : new Redis({ ...OWNED_CONNECTION_DEFAULTS, ...connection });
      this.owned = true;
      this.client.on('error', this.onClientError);
    }
    this.cmd = this.client as Redis;
    this.isCluster = (this.client as { isCluster?: boolean }).isCluster === true;
    this.client.on('ready', this.onReady);
    const keyPrefix = (this.cmd.options as { keyPrefix?: string } | undefined)?.keyPrefix;
    this.bufferReply = { keyPrefix, replyEncoding: null };
    if (!this.isCluster && (options.trackVersions ?? REDIS_STORE_DEFAULTS.trackVersions)) {
      const base = this.cmd;
      this.mirror = new VersionMirror({
        // This package's ioredis (whose RESP3 pushes it hears), with the client's options.
        connect: () => new Redis({ ...base.options, ...MIRROR_CONNECTION, connectionName: `cachekit-versions:${this.name.replace(/[^\w.-]/g, '_')}` }),
        keyPrefix: keyPrefix ?? '',
        onError: (error) =>
          this.hooks.onError?.(
            new StoreError(`${this.name}: cannot track versions (CLIENT TRACKING); every read reads its versions: ${(error as Error)?.message}`, { cause: error }),
          ),
      });
      this.client.on('end', this.onClientEnd);
    }
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

  /** Operations waiting for Redis right now (bounded: the breaker stops new ones while Redis is unreachable). */
  get pendingOperations(): number {
    return this.deadlines.size;
  }

  attach(hooks: StoreHooks): void {
    this.hooks = hooks;
    if (this.ownSerializer === undefined && hooks.serializer !== undefined) this.serializer = hooks.serializer;
    if (hooks.prefix) this.seenScopes.add(escapeSegment(hooks.prefix));
  }

  read(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    if (versionKeys.length === 0) return this.batched('getBuffer', [key], (data: Buffer | null) => this.toReadResult(key, data, EMPTY));
    if (this.isCluster) {
      const c = this.cmd;
      return this.exec(
        () => Promise.all([c.getBuffer(key), ...versionKeys.map((k) => c.getBuffer(k))]),
        (all): RedisReadResult | Promise<RedisReadResult> => {
          const counters = all.slice(1);
          if (counters.includes(null)) return this.startCounters(versionKeys, counters).then((v) => this.toReadResult(key, all[0]!, v));
          return this.toReadResult(key, all[0]!, counters.map(parseCounter));
        },
      ) as Promise<RedisReadResult>;
    }
    const mirror = this.mirror;
    const reader = mirror?.reader;
    if (reader !== undefined) {
      const versions = mirror!.lookup(versionKeys);
      if (versions !== undefined) {
        const seen = mirror!.epoch;
        // The GET goes on the mirror's connection, behind every announcement of a change Redis
        // made before running it: if one arrived meanwhile, read the versions too.
        // (a map may return a promise: the command's promise adopts it)
        // eslint-disable-next-line prefer-const -- set once the command is sent, read when it answers
        let guess: DecodeGuess | null | undefined;
        const read = this.batched<Buffer | null, RedisReadResult | Promise<RedisReadResult>>(
          'getBuffer',
          [key],
          (data) => (mirror!.epoch === seen ? this.toReadResult(key, data, versions, guess) : this.readWithVersions(key, versionKeys)),
          reader,
        ) as Promise<RedisReadResult>;
        guess = this.guessWhileSent(key);
        return read;
      }
    }
    return this.readWithVersions(key, versionKeys);
  }

  /** A read of the entry and its versions in one `MGET` (the versions are copied when tracked). */
  private readWithVersions(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    const mirror = this.mirror;
    const epoch = mirror?.epoch ?? 0;
    // eslint-disable-next-line prefer-const -- set once the command is sent, read when it answers
    let guess: DecodeGuess | null | undefined;
    const read = this.batched(
      'mgetBuffer',
      [key, ...versionKeys],
      (all: Array<Buffer | null>): RedisReadResult | Promise<RedisReadResult> => {
        const versions = new Array<number>(versionKeys.length);
        let missing = false;
        for (let i = 0; i < versions.length; i++) {
          const data = all[i + 1]!;
          if (data === null) missing = true;
          else versions[i] = parseCounter(data);
        }
        if (missing) return this.startCounters(versionKeys, all.slice(1)).then((started) => this.toReadResult(key, all[0]!, started, guess));
        mirror?.learn(versionKeys, versions, epoch);
        return this.toReadResult(key, all[0]!, versions, guess);
      },
      mirror?.reader,
    );
    guess = this.guessWhileSent(key);
    return read as Promise<RedisReadResult>;
  }

  /**
   * Values for counters a read found missing (`read[i]` null): never bumped, deleted, or
   * evicted by Redis. A missing counter must not read as any value it had before (entries
   * written under that value would be fresh again), so it is created at a random base (see
   * {@link counterBase}) by a script that leaves a counter another instance created meanwhile.
   */
  private startCounters(versionKeys: readonly string[], read: ReadonlyArray<Buffer | null>): Promise<number[]> {
    const missing: string[] = [];
    for (let i = 0; i < versionKeys.length; i++) if (read[i] === null) missing.push(versionKeys[i]!);
    const send = this.isCluster
      ? () => Promise.all(missing.map((k) => START_COUNTERS.run(this.scripts, [k], [String(counterBase())]).then((r) => (r as Buffer[])[0]!)))
      : () => START_COUNTERS.run(this.scripts, missing, missing.map(() => String(counterBase()))) as Promise<Buffer[]>;
    return this.exec(send, (values: Buffer[]) => {
      let at = 0;
      return versionKeys.map((_, i) => (read[i] === null ? parseCounter(values[at++]!) : parseCounter(read[i]!)));
    });
  }

  /**
   * For a read just handed to {@link batched}: when it left at once (a lone read: no burst is
   * gathering), decodes the bytes last read under `key` while the command is on the wire (see
   * `recent-entries.ts`). @returns the guess, null for a lone read with nothing to guess from,
   * undefined for a read queued in a burst (a burst of guesses would only delay it; its
   * replies are decoded and not remembered)
   */
  private guessWhileSent(key: string): DecodeGuess | null | undefined {
    return this.burst === undefined ? this.recent.guess(key) : undefined;
  }

  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    if (versionKeys.length === 0) return Promise.resolve([]);
    if (this.isCluster) {
      const c = this.cmd;
      return this.exec(
        () => Promise.all(versionKeys.map((k) => c.getBuffer(k))),
        (all): readonly number[] | Promise<readonly number[]> => (all.includes(null) ? this.startCounters(versionKeys, all) : all.map(parseCounter)),
      ) as Promise<readonly number[]>;
    }
    // Always asked of Redis (copies are trusted only by a read of an entry: its reply settles
    // what the copies held when Redis ran it). On the mirror's connection, they are copied.
    const mirror = this.mirror;
    // The same counters asked again within one burst (a wave of write-behind calls of one
    // namespace) share the first read: it leaves with the burst, after every request of it.
    const shared = this.burst !== undefined && versionKeys.length === 1 ? this.burstVersionReads.get(versionKeys[0]!) : undefined;
    if (shared !== undefined) return shared;
    const epoch = mirror?.epoch ?? 0;
    const read = this.batched(
      'mgetBuffer',
      [...versionKeys],
      (all: Array<Buffer | null>): readonly number[] | Promise<readonly number[]> => {
        if (all.includes(null)) return this.startCounters(versionKeys, all);
        const versions = all.map(parseCounter);
        mirror?.learn(versionKeys, versions, epoch);
        return versions;
      },
      mirror?.reader,
    ) as Promise<readonly number[]>;
    if (this.burst !== undefined && versionKeys.length === 1) this.burstVersionReads.set(versionKeys[0]!, read);
    return read;
  }

  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    return this.writeChecked(key, entry, ttlMs).then(() => undefined);
  }

  /**
   * {@link write}, telling whether the value was stored. @returns false when it was bigger
   * than `maxValueBytes` and a tombstone of the entry's generation was stored instead
   */
  writeChecked(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
    const set = (bytes: Buffer) => this.batched('set', ttlMs > 0 ? [key, bytes, 'PX', String(pxOf(ttlMs))] : [key, bytes], () => undefined);
    return this.withBytes(
      key,
      entry,
      ttlMs,
      (bytes) => set(bytes).then(() => true),
      () => this.withBytes(key, { g: entry.g, d: 1 }, ttlMs, (bytes) => set(bytes).then(() => false)),
    );
  }

  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    const expectedBytes = expected === undefined ? NO_GENERATION : generationBytes(expected);
    return this.withBytes(
      key,
      entry,
      ttlMs,
      (bytes) =>
        this.exec(
          () => WRITE_IF.run(this.scripts, [key], [expectedBytes, bytes, ttlMs > 0 ? String(pxOf(ttlMs)) : '0', MAGIC]),
          (reply) => reply === 1,
        ),
      () => Promise.resolve(false),
    );
  }

  /** A Lua script (see `WRITE_TOMBSTONE`): a queued write-behind value of another writer is kept. */
  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    return this.withBytes(key, tombstone, ttlMs, (bytes) =>
      this.exec(
        () => WRITE_TOMBSTONE.run(this.scripts, [key], [bytes, ttlMs > 0 ? String(pxOf(ttlMs)) : '0', writer === undefined ? '' : String(writer), MAGIC]),
        (reply) => reply === 1,
      ),
    );
  }

  /**
   * Encodes an entry for `key` (a failure rejects) and sends it with `send`, or, when it is
   * bigger than `maxValueBytes`, counts and reports it and runs `tooBig` instead.
   */
  private withBytes<T>(key: string, entry: StoredEntry, ttlMs: number, send: (bytes: Buffer) => Promise<T>, tooBig?: () => Promise<T>): Promise<T> {
    let bytes: Buffer;
    try {
      bytes = this.encode(entry, ttlMs);
    } catch (error) {
      return Promise.reject(error);
    }
    this.noteKey(key);
    if (bytes.length > this.maxValueBytes && tooBig !== undefined) {
      if (this.oversizedValues++ === 0) {
        this.hooks.onError?.(
          new ValueTooLargeError(
            `${this.name}: a value of ${bytes.length} bytes under '${key}' is bigger than maxValueBytes (${this.maxValueBytes}) and was not cached; later ones are only counted (oversizedValues)`,
          ),
        );
      }
      return tooBig();
    }
    return send(bytes);
  }

  delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return Promise.resolve(0);
    for (const key of keys) this.noteKey(key);
    const c = this.cmd;
    if (this.isCluster) return this.exec(() => Promise.all(keys.map((k) => c.unlink(k))), (counts) => counts.reduce((a, b) => a + b, 0));
    return this.exec(() => c.unlink(...keys));
  }

  bump(versionKeys: readonly string[]): Promise<number[]> {
    if (versionKeys.length === 0) return Promise.resolve([]);
    for (const key of versionKeys) this.noteKey(key);
    this.mirror?.forget(versionKeys);
    const scripts = this.scripts;
    // One script per key on a Cluster (the keys may live in different hash slots).
    if (this.isCluster) {
      return this.exec(() => Promise.all(versionKeys.map((k) => BUMP.run(scripts, [k], [String(counterBase())]).then((r) => (r as number[])[0]!))));
    }
    return this.exec(
      () => BUMP.run(scripts, versionKeys, versionKeys.map(() => String(counterBase()))),
      (values) => values as number[],
    );
  }

  acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    const token = randomBytes(16).toString('base64url');
    const c = this.cmd;
    return this.exec(
      () => c.set(key, token, 'PX', pxOf(ttlMs), 'NX'),
      (reply) => (reply === 'OK' ? token : undefined),
    );
  }

  releaseLock(key: string, token: string): Promise<void> {
    return this.exec(
      () => RELEASE.run(this.scripts, [key], [token]),
      () => undefined,
    );
  }

  /** Publishes `message` on `channel` over the store's connection, under its timeout and breaker. @returns how many subscribers received it */
  publish(channel: string, message: string | Buffer): Promise<number> {
    const c = this.cmd;
    return this.exec(() => c.publish(channel, message));
  }

  /**
   * Deletes every entry, lock and version counter under the runtime prefix (see `scope`):
   * keys matching `prefix:*`, `prefix#n:*`, `prefix#t:*` and `prefix#l:*`, found with `SCAN` (on every master
   * of a Cluster) and removed with `UNLINK`. Other keys in the database are never touched.
   */
  async clear(): Promise<void> {
    this.mirror?.reset();
    const scopes = this.scopeOption !== undefined ? [escapeSegment(this.scopeOption)] : this.seenScopes.size ? [...this.seenScopes] : [escapeSegment(REDIS_STORE_DEFAULTS.scope)];
    const nodes: Redis[] = this.isCluster ? (this.client as Cluster).nodes('master') : [this.cmd];
    for (const node of nodes) {
      const clientPrefix = String((node.options as { keyPrefix?: string } | undefined)?.keyPrefix ?? '');
      const prefixBytes = Buffer.byteLength(clientPrefix);
      for (const scope of scopes) {
        for (const suffix of [':', ...VERSION_KEY_MARKERS, LOCK_KEY_MARKER]) {
          const pattern = `${globEscape(clientPrefix + scope + suffix)}*`;
          let cursor = '0';
          do {
            const [next, found] = await this.exec(() => node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000));
            cursor = String(next);
            if (found.length === 0) continue;
            const keys = prefixBytes ? found.map((k) => k.subarray(prefixBytes)) : found;
            if (this.isCluster) await this.exec(() => node.pipeline(keys.map((k) => ['unlink', k])).exec(), pipelineResults);
            else await this.exec(() => node.unlink(...keys));
          } while (cursor !== '0');
        }
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.mirror?.close();
    this.client.off('end', this.onClientEnd);
    this.client.off('ready', this.onReady);
    this.readyResolve?.();
    if (!this.owned) return;
    const client = this.client;
    client.off('error', this.onClientError);
    // late 'error' events of a dying socket must not become unhandled
    client.on('error', () => undefined);
    if (client.status === 'end') return;
    const ended = new Promise<void>((resolve) => {
      client.once('end', () => resolve());
      setTimeout(resolve, this.timeoutMs).unref();
    });
    if (client.status === 'ready') {
      // QUIT lets replies already on the way arrive; a dead server gets no more than the timeout.
      await Promise.race([client.quit().catch(() => undefined), ended]);
    }
    client.disconnect();
    await ended;
  }

  /**
   * Runs one Redis operation under the breaker and the timeout. Sends at once when the
   * connection is ready; waits (within the timeout) while it is being established; fails at
   * once while it is down. Never leaves a command in ioredis's offline queue.
   */
  private exec<T, R = T>(send: () => Promise<T>, map?: (value: T) => R): Promise<R> {
    if (this.closed) return Promise.reject(new StoreError(`${this.name}: the store is closed`));
    if (!this.breaker.admit()) {
      return Promise.reject(new CircuitOpenError(`${this.name}: circuit open after repeated Redis failures; skipping Redis until the next probe`));
    }
    const status = this.client.status;
    if (status === 'ready') {
      return new Promise<R>((resolve, reject) => {
        const command = new PendingCommand<T, R>(this.context, resolve, reject, map);
        this.deadlines.add(command);
        try {
          send().then(command.ok, command.fail);
        } catch (error) {
          command.fail(error);
        }
      });
    }
    if (status !== 'wait' && status !== 'connecting' && status !== 'connect') {
      const error = new StoreError(`${this.name}: not connected to Redis (connection ${status})`);
      this.breaker.failure(error);
      return Promise.reject(error);
    }
    return new Promise<R>((resolve, reject) => {
      const command = new PendingCommand<T, R>(this.context, resolve, reject, map);
      this.deadlines.add(command);
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

  /**
   * Runs a plain command (`GET`, `MGET`, `SET`) like {@link exec}, batching concurrent ones: a
   * read issued while nothing else is in flight is sent at once (a sequential caller pays
   * nothing more); a write, or a read issued while other operations are in flight, is queued
   * with the others of the same turn and sent with them from a microtask: the burst's SETs as
   * one script, then its reads as one MGET. 100 calls started by one `Promise.all` thus cost 2
   * commands instead of 100. Never used on a Cluster, where one command must stay within one
   * hash slot. A lone read goes `via` the version mirror's connection while it is live (its
   * replies ride behind Redis's announcements), else on the store's own; a burst goes whole on
   * one of them (see {@link flushBurst}).
   */
  private batched<T, R>(
    name: 'getBuffer' | 'mgetBuffer' | 'set',
    args: Array<string | Buffer>,
    map: (value: T) => R,
    via: Redis = this.cmd,
  ): Promise<R> {
    const c = this.cmd as unknown as Record<string, (...a: Array<string | Buffer>) => Promise<T>>;
    if (this.closed || this.client.status !== 'ready' || this.isCluster) return this.exec(() => c[name]!(...args), map);
    if (!this.breaker.admit()) {
      return Promise.reject(new CircuitOpenError(`${this.name}: circuit open after repeated Redis failures; skipping Redis until the next probe`));
    }
    if (this.deadlines.size === 0 && name !== 'set') {
      // A read with nothing else in flight: send at once, on ioredis's own promise. Writes always
      // wait for the end of the turn, so the writes of a wave of calls leave as one script.
      return new DirectCommand<R>(this.context, new Command(COMMAND_NAMES[name], args, this.bufferReply), map).send(via);
    }
    // A write, or other operations are in flight: more may follow in this turn; send them together.
    return new Promise<R>((resolve, reject) => {
      const command = new PendingCommand<T, R>(this.context, resolve, reject, map);
      this.deadlines.add(command);
      if (this.burst !== undefined) {
        this.burst.push({ name, args, command });
      } else {
        this.burst = [{ name, args, command }];
        queueMicrotask(this.flushBurst);
      }
    });
  }

  private readonly flushBurst = (): void => {
    const queued = this.burst!;
    this.burst = undefined;
    this.burstVersionReads.clear();
    if (this.client.status !== 'ready') {
      for (const q of queued) q.command.fail(new Error(`not connected to Redis (connection ${this.client.status})`));
      return;
    }
    // The whole burst goes on one connection, in order: the mirror's while it is up (so its
    // reads ride behind Redis's announcements), else the store's own. (A read that trusted
    // copies and lands on the store's own connection finds the mirror's epoch moved, and reads
    // its versions too.)
    const via = this.mirror?.reader ?? this.cmd;
    if (queued.length === 1) {
      const { name, args, command } = queued[0]!;
      try {
        (via as unknown as Record<string, (...a: Array<string | Buffer>) => Promise<unknown>>)[name]!(...args).then(command.ok, command.fail);
      } catch (error) {
        command.fail(error);
      }
      return;
    }
    // Two commands whatever the burst's size (ioredis's cost is per command, not per key): its
    // writes first, then its reads, so a read sees every write issued in the same turn.
    const reads: typeof queued = [];
    const writes: typeof queued = [];
    for (const q of queued) (q.name === 'set' ? writes : reads).push(q);
    if (writes.length) this.writeTogether(writes, via);
    if (reads.length) this.readTogether(reads, via);
  };

  /**
   * SETs of one burst: one script that runs them all, in the order issued (a lone one as itself).
   * A burst larger than one frame (`packed-frames.ts`: below any server's `proto-max-bulk-len`)
   * goes as several scripts, pipelined in order (by EVAL: a NOSCRIPT retry would reorder them);
   * each fails or succeeds for its own writes only.
   */
  private writeTogether(queued: NonNullable<RedisStore['burst']>, via: Redis): void {
    if (queued.length === 1) {
      const c = via as unknown as Record<string, (...a: Array<string | Buffer>) => Promise<unknown>>;
      settleWrites(queued, c.set!(...queued[0]!.args));
      return;
    }
    const prefix = this.bufferReply.keyPrefix;
    const fields: Array<string | Buffer> = [];
    for (const q of queued) fields.push(prefix ? prefix + (q.args[0] as string) : q.args[0]!, q.args[1]!, q.args[3] ?? '0');
    const chunks = packFrameChunks(fields, 3);
    const scripts = via as unknown as ScriptClient;
    if (chunks.length === 1) {
      settleWrites(queued, SET_MANY.run(scripts, [], [chunks[0]!.frame]));
      return;
    }
    let at = 0;
    for (const { frame, groups } of chunks) {
      settleWrites(queued.slice(at, at + groups), SET_MANY.runInOrder(scripts, [], [frame]));
      at += groups;
    }
  }

  /**
   * Reads of one burst: one MGET of every distinct key, its reply cut back into each read's answer.
   */
  private readTogether(queued: NonNullable<RedisStore['burst']>, via: Redis): void {
    // Each key once (a burst's reads mostly share their namespace version): where each read's keys sit in the MGET.
    const keys: Array<string | Buffer> = [];
    const slotOf = new Map<string | Buffer, number>();
    const slots = new Array<number>();
    for (const q of queued) {
      for (const a of q.args) {
        let slot = slotOf.get(a);
        if (slot === undefined) {
          slot = keys.push(a) - 1;
          slotOf.set(a, slot);
        }
        slots.push(slot);
      }
    }
    via.mgetBuffer(...(keys as string[])).then(
      (values) => {
        let at = 0;
        for (const q of queued) {
          const n = q.args.length;
          if (q.name === 'getBuffer') q.command.ok(values[slots[at]!]);
          else {
            const own = new Array<Buffer | null>(n);
            for (let i = 0; i < n; i++) own[i] = values[slots[at + i]!]!;
            q.command.ok(own);
          }
          at += n;
        }
      },
      (error: unknown) => {
        for (const q of queued) q.command.fail(error);
      },
    );
  }

  /** The client as the Lua script runner sees it (ioredis's typings omit the *Buffer eval methods it has). */
  private get scripts(): ScriptClient {
    return this.cmd as unknown as ScriptClient;
  }

  private whenReady(): Promise<void> {
    return (this.readyWait ??= new Promise<void>((resolve) => (this.readyResolve = resolve)));
  }

  private encode(entry: StoredEntry, ttlMs: number): Buffer {
    return encodeEntry(entry, ttlMs > 0 ? Date.now() + ttlMs : 0, this.serializer);
  }

  /** @param guess for a lone read, what {@link guessWhileSent} decoded (null: nothing); undefined for any other read */
  private toReadResult(key: string, data: Buffer | null, versions: readonly number[], guess?: DecodeGuess | null): RedisReadResult {
    if (data === null) return { entry: undefined, versions, expiresAt: 0 };
    try {
      const decoded = guess === undefined ? decodeEntry(data, this.serializer) : this.recent.settle(key, data, guess);
      return { entry: decoded.entry, versions, expiresAt: decoded.expiresAt };
    } catch (error) {
      this.hooks.onError?.(
        new SerializationError(`${this.name}: cannot decode the entry under '${key}' (treated as a miss): ${(error as Error)?.message}`, { cause: error }),
      );
      // Bytes with our header but a corrupt value read as a tombstone, so the next populate
      // (whose lease is that generation) replaces them; foreign bytes read as no entry.
      const g = readGeneration(data);
      return { entry: g === undefined ? undefined : { g, d: 1 }, versions, expiresAt: 0 };
    }
  }

  /** Remembers the runtime prefix of a key (up to its first `:` or `#`), for `clear()`. */
  private noteKey(key: string): void {
    if (this.scopeOption !== undefined) return;
    const last = this.lastScope;
    if (key.startsWith(last)) {
      const c = key.charCodeAt(last.length);
      if (c === 58 /* : */ || c === 35 /* # */) return;
    }
    const end = key.search(/[:#]/);
    if (end <= 0) return;
    this.lastScope = key.slice(0, end);
    this.seenScopes.add(this.lastScope);
  }
}

/**
 * Where a counter starts when it is created (first read or bump, or after Redis lost it): a
 * random integer in [2^51, 2^52), so a counter that starts again never repeats a value it had
 * before (the chance is the number of its bumps in 2^51), and 2^52 bumps fit below 2^53.
 */
export function counterBase(): number {
  return 0x8000000000000 + Math.floor(Math.random() * 0x8000000000000);
}

/** Settles the write commands of a burst with the outcome of the command that carried them. */
function settleWrites(queued: ReadonlyArray<{ command: PendingCommand<any, any> }>, sent: Promise<unknown>): void {
  sent.then(
    () => {
      for (const q of queued) q.command.ok(undefined);
    },
    (error: unknown) => {
      for (const q of queued) q.command.fail(error);
    },
  );
}

/** Parses a counter value (ASCII digits) read as bytes; 0 when absent. */
function parseCounter(data: Buffer | null): number {
  if (data === null) return 0;
  let n = 0;
  let i = 0;
  const negative = data[0] === 45; // '-'
  if (negative) i = 1;
  for (; i < data.length; i++) {
    const d = data[i]! - 48;
    if (d < 0 || d > 9) return Number(data.toString('latin1')) || 0;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** Unwraps `pipeline().exec()` results, rethrowing the first command error. */
function pipelineResults(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (results === null) throw new Error('pipeline aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** A TTL in whole milliseconds for `PX` (at least 1). */
function pxOf(ttlMs: number): number {
  return Math.max(1, Math.ceil(ttlMs));
}

/** Escapes glob metacharacters for `SCAN MATCH`. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** A circuit breaker whose option errors start with `RedisStore:` like the store's own. */
function newBreaker(options: ConstructorParameters<typeof CircuitBreaker>[0]): CircuitBreaker {
  try {
    return new CircuitBreaker(options);
  } catch (error) {
    throw error instanceof TypeError ? new TypeError(`RedisStore: ${error.message}`, { cause: error }) : error;
  }
}
