/**
 * The store interface every backend implements (memory, Redis, tiered).
 *
 * A store keeps {@link StoredEntry} records under full keys built by the key builder, and
 * integer version counters (namespace and tag versions; opaque values, never repeated by a
 * counter that was lost). The interceptor owns the cache
 * semantics (hits, leases, versions); a store only has to make each operation atomic.
 */

import type { Serializer } from './serializer.js';

/** One cached record as it lives in a store. Short field names keep the Redis encoding small. */
export interface StoredEntry {
  /** The cached value (absent on a tombstone). */
  v?: unknown;
  /**
   * Generation: a fresh random integer on every write or invalidation of the key. A miss
   * remembers the generation it saw (its lease) and populates only if it is unchanged.
   */
  g: number;
  /** Namespace version when the entry was written; a bump of the namespace makes it stale. */
  n?: number;
  /** Tag versions when the entry was written (tag -> version); a bump of any makes it stale. */
  t?: Record<string, number>;
  /** 1 on a tombstone: the key was invalidated; reads see a miss, leases see the new generation. */
  d?: 1;
  /**
   * 1 on a pending entry: the value of a write-behind write that is queued and has not reached
   * its method yet. It is the newest accepted value of the key, so it is served even when its
   * namespace or a tag was invalidated since (see `isFresh`), an invalidation of the key keeps
   * it ({@link CacheStore.writeTombstone}), and a populate from the method (whose lease is an
   * older generation) never replaces it. Its generation names its writer ({@link pendingWriterOf}).
   * Once the write reached the method, the writer turns it into an ordinary entry or a tombstone.
   */
  w?: 1;
  /**
   * Stale-after time (ms, on the writing runtime's clock) of an entry written with `grace` or
   * `refreshAhead`: from then on the entry is stale, and served only within its grace ({@link q})
   * when its reload fails or times out. Absent: fresh until it expires from the store.
   */
  s?: number;
  /** Refresh-after time (ms) of an entry written with `refreshAhead`: a hit from then on reloads it in the background. */
  r?: number;
  /**
   * Grace end (ms) of an entry written with `grace`: until then a stale entry may be served when its
   * reload fails; the store keeps the entry until then (its TTL covers the grace).
   */
  q?: number;
  /**
   * Process-local, never stored: the time until which this entry, stale and within its grace, is
   * served without reloading because its reload failed (`graceBackoff`). Set to 0 on every entry
   * with a grace (one object shape on the hit path); the runtime sets it on the object it read.
   */
  b?: number;
}

/** Low bits of a pending entry's generation that count its writer's writes; the bits above name the writer. */
export const PENDING_COUNTER_BITS = 21;

/** The writer (a 32-bit token of one runtime) that wrote a pending entry with generation `g`. */
export function pendingWriterOf(g: number): number {
  return Math.floor(g / 2 ** PENDING_COUNTER_BITS);
}

/**
 * Whether a tombstone written by `writer` must leave `entry` alone: it is a pending entry (a
 * queued write-behind value) of another writer (any writer when `writer` is undefined). The rule
 * of {@link CacheStore.writeTombstone}.
 */
export function keepsPendingEntry(entry: StoredEntry | undefined, writer: number | undefined): boolean {
  return entry?.w === 1 && (writer === undefined || pendingWriterOf(entry.g) !== writer);
}

/** What {@link CacheStore.read} returns. */
export interface ReadResult {
  /**
   * The entry under the key, or undefined when there is none (or it expired). A MemoryStore
   * answers a key that lost its record without a write (evicted, expired, deleted, too big,
   * cleared) with a tombstone (`d: 1`) whose generation a lease must expect, so a miss that
   * read before cannot populate it (see `absent-generations.ts`).
   */
  entry: StoredEntry | undefined;
  /**
   * The current value of each requested version counter, in order. Values are opaque: compare
   * them for equality only. A counter never bumped reads as its starting value (0 in memory;
   * on Redis a random base, also after Redis lost the counter, so a lost counter never reads
   * as a value it had before).
   */
  versions: readonly number[];
}

/** A store of cache entries. All methods may reject; the interceptor treats a rejection as a store failure. */
export interface CacheStore {
  /** A short name for stats and errors, e.g. `'memory'`, `'redis'`. */
  readonly name: string;

  /**
   * True if every operation settles within a bounded time on its own (memory; Redis with its
   * timeouts). Otherwise the runtime puts its `storeTimeout` on each operation.
   */
  readonly enforcesTimeouts?: boolean;

  /** Reads the entry under `key` and the counters under `versionKeys`, in one round trip where the backend allows. */
  read(key: string, versionKeys: readonly string[]): Promise<ReadResult>;

  /**
   * Synchronous {@link read} for stores that can answer without I/O (memory, a tiered L1 hit).
   * Returns undefined when it cannot answer synchronously; the caller then uses {@link read}.
   */
  readSync?(key: string, versionKeys: readonly string[]): ReadResult | undefined;

  /**
   * {@link read} of several keys, each with its own version keys, in one round trip (Redis: one
   * `MGET`). Results are in the order of `keys`. Optional: without it a batch reads each key.
   */
  readMany?(keys: readonly string[], versionKeys: ReadonlyArray<readonly string[]>): Promise<ReadResult[]>;

  /**
   * The copy of `key` this store holds in the process (a tiered L1 copy), whatever its freshness,
   * or undefined. Read only when {@link read} failed and the method failed too: an entry still
   * within its grace (`q`) is then served stale (fail-safe). Never a tombstone. Optional.
   */
  readLocal?(key: string): StoredEntry | undefined;

  /** Reads the counters under `versionKeys` (see {@link ReadResult.versions}). */
  readVersions(versionKeys: readonly string[]): Promise<readonly number[]>;

  /** Stores `entry` under `key` for `ttlMs` milliseconds (0 = no expiry), unconditionally. */
  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void>;

  /**
   * Stores `entry` only if the generation currently under `key` is `expected` (undefined: no
   * entry): pass the generation of the entry {@link read} returned, tombstones included.
   * @returns true if the entry was written, false if the key changed since the lease was taken.
   */
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean>;

  /**
   * Invalidates `key`: writes `tombstone` (a `d: 1` entry) for `ttlMs`, unless the key holds a
   * pending entry (`w`, a queued write-behind write: the newest accepted value) of a writer other
   * than `writer` (see {@link pendingWriterOf}). Atomic. Optional: without it the runtime gets the
   * same rule from {@link read} and {@link writeIf} (a compare-and-set on the generation read), one
   * more round trip.
   * @param writer the runtime releasing its own pending entry; undefined: keep every pending entry
   * @returns whether the tombstone was written
   */
  writeTombstone?(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean>;

  /** Deletes the entries under `keys`. @returns how many existed. */
  delete(keys: readonly string[]): Promise<number>;

  /** Increments each counter under `versionKeys` by one. @returns the new values, in order. */
  bump(versionKeys: readonly string[]): Promise<number[]>;

  /** Drops every entry and counter this store holds under its own prefix (never the whole database). */
  clear(): Promise<void>;

  /** Releases timers and connections the store opened itself (a client passed in is left open). */
  close(): Promise<void>;

  /**
   * Takes the lock named `key` for `ttlMs` if nobody holds it (Redis: `SET key token NX PX`).
   * Optional: stores shared between processes implement it for `distributedLock`.
   * @returns a token to release the lock with, or undefined if another holder has it
   */
  acquireLock?(key: string, ttlMs: number): Promise<string | undefined>;

  /** Releases a lock taken with {@link acquireLock} if `token` still holds it. */
  releaseLock?(key: string, token: string): Promise<void>;

  /**
   * The entries of one key scope and kind of key part, addressed by the part alone (see
   * {@link KeyScope}). Optional, for in-process stores (MemoryStore has it): a `@Cacheable` whose
   * key is a lone string or number argument, or a key function's string or number, reads and
   * populates through it without building the full key, and the store keeps the caller's own
   * string as the entry's key.
   * @param scope what every key of the scope starts with: `prefix:namespace:`
   * @param kind 0: a part is a string whose key text is its stable encoding (`"id"`); 1: a part
   * is a number (key text `String(n)`) or a string that is its own key text
   * @returns undefined when this store is to be addressed by full key only
   */
  keyScope?(scope: string, kind: 0 | 1): KeyScope | undefined;

  /**
   * The store's own writes, answered at once (see {@link SyncOperations}). Optional, for stores
   * that answer without I/O (MemoryStore has it): `@WriteBehind` writes its pending entries and
   * releases them through them, with no promise per write.
   * @returns undefined when the store's asynchronous operations are to be used
   */
  syncOperations?(): SyncOperations | undefined;

  /** What the store reports of itself (see {@link StoreState}). Optional. */
  inspect?(): StoreState;

  /**
   * Called once by the runtime that uses the store, to receive evictions (memory) and to learn
   * the runtime's reporting hook. Optional.
   */
  attach?(hooks: StoreHooks): void;
}

/**
 * The entries of one key scope of a store ({@link CacheStore.keyScope}), addressed by key part:
 * each operation is the store's own on the full key of the part, `scope` followed by the part's
 * key text, with the same result. Kind 1 takes a part in its canonical form: a string that is
 * exactly `String(n)` of a number must be passed as that number, and a string that is the
 * stable encoding of a string (`"..."`) must go through kind 0 (the runtime passes only parts that
 * need neither).
 */
export interface KeyScope {
  /** {@link CacheStore.readSync} of the key of `part`; always answers. */
  readSync(part: string | number, versionKeys: readonly string[]): ReadResult;
  /** {@link CacheStore.writeIf} of the key of `part`. */
  writeIf(part: string | number, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean>;
}

/**
 * Synchronous forms of a store's operations ({@link CacheStore.syncOperations}): each does what
 * the store's asynchronous operation of the same name does, and returns (or throws) what that one
 * would resolve with (or reject with).
 */
export interface SyncOperations {
  /** {@link CacheStore.readVersions}, at once. */
  readVersions(versionKeys: readonly string[]): readonly number[];
  /**
   * {@link CacheStore.write}, at once.
   * @returns where the store put the entry: an opaque number, which a later {@link writeIf} of the
   * same key may take back as `at` to find the entry without a lookup
   */
  write(key: string, entry: StoredEntry, ttlMs: number): number;
  /**
   * {@link CacheStore.writeIf}, at once.
   * @param at what {@link write} answered for the key, if known: a hint only (the answer is the same
   * whatever it is, also when the entry has moved or gone since)
   */
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined, at?: number): boolean;
}

/** What a store reports of itself for `runtime.inspect()` (dashboards, metrics); every field but `name` optional. */
export interface StoreState {
  /** The store's name. */
  readonly name: string;
  /** Entries held in this process (memory, a tiered L1). */
  readonly entries?: number;
  /** The circuit breaker of a Redis-backed store. */
  readonly breaker?: 'closed' | 'open' | 'half-open';
  /** Whether namespace and tag versions are tracked in memory right now (RedisStore `trackVersions`). */
  readonly versionsTracked?: boolean;
  /** Whether a TieredStore's invalidation bus is subscribed (its L1 is used only then). */
  readonly busSubscribed?: boolean;
  /** Operations waiting for Redis right now. */
  readonly pendingOperations?: number;
}

/**
 * What came back after an outage:
 * - `connection`: the store's own connection to Redis is ready again;
 * - `breaker`: the circuit breaker closed again (operations reach Redis again);
 * - `tracking`: version tracking (`trackVersions`) is live again on its own connection;
 * - `bus`: a TieredStore's invalidation bus is subscribed again.
 */
export type RecoveryKind = 'connection' | 'breaker' | 'tracking' | 'bus';

/** One recovery a store reports through {@link StoreHooks.onRecover}. */
export interface StoreRecovery {
  /** Name of the store that recovered (a TieredStore's L2 reports under its own name). */
  store: string;
  /** What came back. */
  what: RecoveryKind;
  /** How long it was down, in ms: from when the store first noticed the outage to now. */
  downMs: number;
}

/** Callbacks a runtime hands to its stores. */
export interface StoreHooks {
  /** An entry was evicted for room (not by TTL or delete). */
  onEvict?(key: string): void;
  /** A background failure of the store (e.g. the invalidation bus lost its connection). */
  onError?(error: unknown): void;
  /**
   * Something the store depends on works again after an outage (see {@link StoreRecovery}):
   * called once per outage, when it ends, never for the first connection at start-up. The
   * runtime logs one line and emits a `recover` event.
   */
  onRecover?(recovery: StoreRecovery): void;
  /** The runtime's serializer, for stores that encode values and were not given their own. */
  serializer?: Serializer;
  /** The runtime's key prefix: the scope a store's `clear()` may remove. */
  prefix?: string;
}
