/**
 * TieredStore: the {@link CacheStore} with a MemoryStore (L1) in front of a RedisStore (L2),
 * kept in step across instances by the invalidation bus (see the class comment).
 */

import type { CacheStore, ReadResult, StoreHooks, StoreState, StoredEntry } from '../../cache-store.js';
import { MemoryStore } from '../memory/memory-store.js';
import { RedisStore, type RedisReadResult } from '../redis/redis-store.js';
import type { RedisClient } from '../../options/redis-store.js';
import { InvalidationBus, type InvalidationMessage } from './invalidation-bus.js';
import { isFresh } from '../entry-freshness.js';
import { VersionCopies } from '../structures/version-copies.js';
import { parseDuration, quote } from '../../duration.js';
import { checkKnownOptions } from '../../known-options.js';
import type { TieredStoreOptionsOf } from '../../options/tiered-store.js';
import type { NoneMissing } from '../../known-options.js';
import { TIERED_STORE_DEFAULTS } from '../../defaults.js';

/** Options of {@link TieredStore}: its tiers are a {@link MemoryStore} (L1) and a {@link RedisStore} (L2). */
export type TieredStoreOptions = TieredStoreOptionsOf<MemoryStore, RedisStore>;

/** The option names TieredStore knows: every key of {@link TieredStoreOptions}, no other. */
const TIERED_STORE_OPTIONS = ['l1', 'l2', 'l1Ttl', 'bus', 'maxMirroredVersions', 'name'] as const satisfies readonly (keyof TieredStoreOptions)[];
type _EveryTieredStoreOption = NoneMissing<Exclude<keyof TieredStoreOptions, (typeof TIERED_STORE_OPTIONS)[number]>>;
const EMPTY: readonly string[] = [];
/** Beyond this many recently invalidated keys tracked for in-flight reads, they are all treated as invalidated. */
const MAX_TRACKED = 10_000;

/**
 * Two tiers: a {@link MemoryStore} (L1) in front of a {@link RedisStore} (L2).
 *
 * - Reads try L1 (synchronously, through `readSync`, with the namespace and tag counters
 *   copied in memory: `structures/version-copies.ts`, the structure L2's version mirror uses
 *   too; these copies are kept by the bus, so they also serve where L2 tracks no versions:
 *   a Cluster, `trackVersions: false`, a server without `CLIENT TRACKING`), then L2, filling
 *   L1 with the entry and the counters.
 * - Writes (conditional ones once they succeed), tombstones, deletes, version bumps and clears go to L2, then L1, and are published
 *   on the invalidation bus; every other instance drops its L1 copies and its mirrored copies of
 *   the counters (counters are not monotonic: a lost one starts again at a random base, and two
 *   instances' messages may arrive in either order). A write resolves after the message was
 *   handed to Redis; one Redis did not take is reported and published again until it is (see
 *   `invalidation-bus.ts`); meanwhile other instances' copies live at most `l1Ttl`.
 * - While the bus is not subscribed (starting, connection lost) L1 is bypassed: every read goes
 *   to L2, so no instance serves a copy it might not hear about as a hit. Its copies stay only as
 *   the fail-safe of entries with `grace` (`readLocal`: served when L2 and the method both fail).
 *   When the bus is back, L1 is emptied (messages may have been missed). An L1 copy lives at most
 *   `l1Ttl`.
 * - An L2 read that was in flight when the key (or one of its counters) changed (a local write,
 *   conditional or not, touches the key when it starts and again once it resolved; a message
 *   from another instance when it arrives) does not fill L1, so a late answer can never put an
 *   older value back in front of a newer one.
 */
export class TieredStore implements CacheStore {
  readonly name: string;
  /** Every operation has its own deadline (`timeoutMs`), so the runtime adds none. */
  readonly enforcesTimeouts = true;
  /** The memory tier. */
  readonly l1: MemoryStore;
  /** The Redis tier. */
  readonly l2: RedisStore;
  /** The invalidation bus (undefined with `bus: false`). */
  readonly bus: InvalidationBus | undefined;
  private readonly l1TtlMs: number;
  /** Copies of the namespace and tag counters, for L1 hits (bus-kept; see the class comment). */
  private readonly versions: VersionCopies;
  private hooks: StoreHooks = {};
  /** Sequence of changes seen (local or remote); L2 answers older than a change of their keys do not fill L1. */
  private seq = 0;
  private floor = 0;
  private readonly touched = new Map<string, number>();
  private inFlight = 0;

  constructor(options: TieredStoreOptions) {
    options = checkKnownOptions('TieredStore', options, TIERED_STORE_OPTIONS) as unknown as TieredStoreOptions;
    if (!(options.l1 instanceof MemoryStore)) throw new TypeError(`TieredStore: l1 must be a MemoryStore; got ${quote(options.l1)}`);
    if (!(options.l2 instanceof RedisStore)) throw new TypeError(`TieredStore: l2 must be a RedisStore; got ${quote(options.l2)}`);
    const maxVersions = options.maxMirroredVersions ?? TIERED_STORE_DEFAULTS.maxMirroredVersions;
    if (!Number.isInteger(maxVersions) || maxVersions < 1) {
      throw new TypeError(`TieredStore: maxMirroredVersions must be an integer >= 1; got ${quote(options.maxMirroredVersions)}`);
    }
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new TypeError(`TieredStore: name must be a non-empty string; got ${quote(options.name)}`);
    }
    this.name = options.name ?? TIERED_STORE_DEFAULTS.name;
    this.l1 = options.l1;
    this.l2 = options.l2;
    this.l1TtlMs = parseDuration(options.l1Ttl === undefined ? TIERED_STORE_DEFAULTS.l1Ttl : options.l1Ttl, 'TieredStore: l1Ttl');
    this.versions = new VersionCopies(maxVersions);
    this.bus =
      options.bus === false
        ? undefined
        : new InvalidationBus(this.l2, options.bus ?? {}, {
            onMessage: (message) => this.apply(message),
            onUp: (downMs) => {
              this.resetL1();
              if (downMs !== undefined) this.hooks.onRecover?.({ store: this.name, what: 'bus', downMs });
            },
            onDown: () => this.suspendL1(),
            onError: (error) => this.hooks.onError?.(error),
          });
  }

  /** The Redis client of L2 (for the write-behind journal and other Redis features). */
  get client(): RedisClient {
    return this.l2.client;
  }

  /** Whether L1 may be used now: always without a bus; with one, only while it is subscribed. */
  get l1Active(): boolean {
    return this.bus === undefined || this.bus.isSubscribed;
  }

  attach(hooks: StoreHooks): void {
    this.hooks = hooks;
    this.l1.attach({ onEvict: hooks.onEvict });
    this.l2.attach(hooks);
  }

  readSync(key: string, versionKeys: readonly string[]): ReadResult | undefined {
    if (!this.l1Active) return undefined;
    const entry = this.l1.readSync(key, EMPTY).entry;
    if (entry === undefined) return undefined;
    if (versionKeys.length === 0) return entry.d === 1 ? undefined : { entry, versions: [] };
    const versions = this.versions.lookup(versionKeys);
    // Anything but a fresh entry goes to L2, the source of truth (and refreshes the mirror).
    if (versions === undefined || isFresh(entry, versionKeys, versions) !== true) return undefined;
    return { entry, versions };
  }

  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    const hit = this.readSync(key, versionKeys);
    if (hit !== undefined) return Promise.resolve(hit);
    const start = this.begin();
    return this.l2.read(key, versionKeys).then(
      (result) => {
        this.fill(start, key, versionKeys, result);
        this.end();
        return result;
      },
      (error) => {
        this.end();
        throw error;
      },
    );
  }

  /** {@link read} of several keys: L1 answers what it can, L2 the rest in one `MGET` (filling L1 as a read does). */
  readMany(keys: readonly string[], versionKeys: ReadonlyArray<readonly string[]>): Promise<ReadResult[]> {
    const results = new Array<ReadResult>(keys.length);
    const missed: number[] = [];
    keys.forEach((key, i) => {
      const hit = this.readSync(key, versionKeys[i]!);
      if (hit !== undefined) results[i] = hit;
      else missed.push(i);
    });
    if (missed.length === 0) return Promise.resolve(results);
    const start = this.begin();
    return this.l2.readMany(missed.map((i) => keys[i]!), missed.map((i) => versionKeys[i]!)).then(
      (read) => {
        missed.forEach((i, n) => {
          this.fill(start, keys[i]!, versionKeys[i]!, read[n]!);
          results[i] = read[n]!;
        });
        this.end();
        return results;
      },
      (error) => {
        this.end();
        throw error;
      },
    );
  }

  /** L2's breaker, tracking and waiting operations, L1's entries and whether the bus is subscribed, for `runtime.inspect()`. */
  inspect(): StoreState {
    return { ...this.l2.inspect(), name: this.name, entries: this.l1.size, busSubscribed: this.bus?.isSubscribed };
  }

  /**
   * The L1 copy of `key` whatever its freshness (not a tombstone nor a queued write-behind
   * value), for a stale value within its grace when L2 cannot be read and the method failed
   * (see `CacheStore.readLocal`). While the bus is down L1 keeps its copies for this only: they
   * are not hits, and they are dropped when the bus is back.
   */
  readLocal(key: string): StoredEntry | undefined {
    const entry = this.l1.readSync(key, EMPTY)?.entry;
    return entry === undefined || entry.d === 1 || entry.w === 1 ? undefined : entry;
  }

  async readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    if (this.l1Active) {
      const known = this.versions.lookup(versionKeys);
      if (known !== undefined) return known;
    }
    const start = this.begin();
    try {
      const values = await this.l2.readVersions(versionKeys);
      if (this.l1Active && this.unchangedSince(start, versionKeys)) this.versions.set(versionKeys, values);
      return values;
    } finally {
      this.end();
    }
  }

  async write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    const keys = [key];
    this.touch(keys);
    const start = this.begin();
    try {
      const stored = await this.l2.writeChecked(key, entry, ttlMs);
      // too big for L2 (a tombstone went there instead): L1 keeps nothing either
      this.keepLocal(start, key, stored ? entry : { g: entry.g, d: 1 }, ttlMs);
      // Reads of L2 still in flight may have read the entry this write replaced: none may fill L1.
      this.touch(keys);
    } catch (error) {
      void this.l1.delete(keys);
      this.announce({ keys }).catch(() => undefined);
      throw error;
    } finally {
      this.end();
    }
    await this.announceReported({ keys });
  }

  async writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    const keys = [key];
    // As write does: an L2 read in flight must not fill L1 with the entry this write may replace.
    this.touch(keys);
    const start = this.begin();
    let written: boolean;
    try {
      written = await this.l2.writeIf(key, entry, ttlMs, expected);
      if (written) {
        this.keepLocal(start, key, entry, ttlMs);
        this.touch(keys);
      }
    } finally {
      this.end();
    }
    // Another instance may hold the generation this write replaced (a write-through's lease
    // is often an L1 copy), or a copy Redis evicted: it must drop it.
    if (written) await this.announceReported({ keys: [key] });
    return written;
  }

  /** L2's conditional tombstone, then L1 drops its copy (whatever L2 kept, the next read fills from L2), then the bus. */
  async writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    const keys = [key];
    this.touch(keys);
    let written: boolean;
    this.begin();
    try {
      written = await this.l2.writeTombstone(key, tombstone, ttlMs, writer);
      // as after a write: no L2 read in flight may fill L1 with what the tombstone replaced
      this.touch(keys);
    } catch (error) {
      this.announce({ keys }).catch(() => undefined);
      throw error;
    } finally {
      void this.l1.delete(keys);
      this.end();
    }
    await this.announceReported({ keys });
    return written;
  }

  async delete(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    this.touch(keys);
    let count: number;
    this.begin();
    try {
      count = await this.l2.delete(keys);
      this.touch(keys);
    } finally {
      void this.l1.delete(keys);
      this.end();
    }
    await this.announceReported({ keys: [...keys] });
    return count;
  }

  async bump(versionKeys: readonly string[]): Promise<number[]> {
    if (versionKeys.length === 0) return [];
    this.touch(versionKeys);
    const start = this.begin();
    let values: number[];
    try {
      values = await this.l2.bump(versionKeys);
      // Counters are not monotonic (a lost counter starts again from a random base), so the
      // copy is this bump's value only if no other instance's bump was heard meanwhile.
      for (let i = 0; i < versionKeys.length; i++) {
        const k = versionKeys[i]!;
        if (this.l1Active && this.unchangedSince(start, [k])) this.versions.setOne(k, values[i]!);
        else this.versions.deleteOne(k);
      }
      this.touch(versionKeys);
    } catch (error) {
      this.versions.delete(versionKeys);
      throw error;
    } finally {
      this.end();
    }
    await this.announceReported({ versions: versionKeys.map((k, i) => [k, values[i]!] as [string, number]) });
    return values;
  }

  async clear(): Promise<void> {
    await this.l2.clear();
    this.resetL1();
    await this.announceReported({ clear: true });
  }

  acquireLock(key: string, ttlMs: number): Promise<string | undefined> {
    return this.l2.acquireLock(key, ttlMs);
  }

  releaseLock(key: string, token: string): Promise<void> {
    return this.l2.releaseLock(key, token);
  }

  /** Closes the bus, then both tiers (an L2 client passed in by you stays open). */
  async close(): Promise<void> {
    await this.bus?.close();
    await this.l1.close();
    await this.l2.close();
  }

  /** Applies another instance's message to L1 and the mirrored counters. */
  private apply(message: InvalidationMessage): void {
    if (message.clear) {
      this.resetL1();
      return;
    }
    if (message.keys) {
      this.touch(message.keys);
      void this.l1.delete(message.keys);
    }
    if (message.versions) {
      // The copies are dropped, not set to the message's values: messages of two instances'
      // bumps may arrive in either order, and counters are not monotonic (see bump). The next
      // read asks L2.
      const keys = message.versions.map(([k]) => k);
      this.touch(keys);
      this.versions.delete(keys);
    }
  }

  /**
   * The bus is down: L1 is no longer kept right by other instances. Its copies stay, for
   * {@link readLocal} only (no read serves them while the bus is down, see `l1Active`); the
   * counter copies go, and L2 answers already in flight will not fill L1. The bus coming back
   * empties L1 ({@link resetL1}).
   */
  private suspendL1(): void {
    this.floor = ++this.seq;
    this.touched.clear();
    this.versions.clear();
  }

  /** Empties L1 and the mirror; L2 answers already in flight will not fill it. */
  private resetL1(): void {
    this.suspendL1();
    void this.l1.clear();
  }

  /** Fills L1 from an L2 answer, unless the key or a counter changed since the read began. */
  private fill(start: number, key: string, versionKeys: readonly string[], result: RedisReadResult): void {
    if (!this.l1Active || !this.unchangedSince(start, versionKeys, key)) return;
    this.versions.set(versionKeys, result.versions);
    const entry = result.entry;
    if (entry === undefined || entry.d === 1) {
      void this.l1.delete([key]);
      return;
    }
    const remaining = result.expiresAt > 0 ? result.expiresAt - Date.now() : 0;
    const ttl = result.expiresAt > 0 && remaining <= 0 ? -1 : this.l1TtlFor(remaining);
    if (ttl < 0) void this.l1.delete([key]);
    else this.l1.writeSync(key, entry, ttl);
  }

  /** After a local write reached L2: keep the entry in L1 (a tombstone drops it). */
  private keepLocal(start: number, key: string, entry: StoredEntry, ttlMs: number): void {
    if (entry.d === 1 || !this.l1Active || !this.unchangedSince(start, EMPTY, key)) {
      void this.l1.delete([key]);
      return;
    }
    const ttl = this.l1TtlFor(ttlMs);
    if (ttl < 0) void this.l1.delete([key]);
    else this.l1.writeSync(key, entry, ttl);
  }

  /** The L1 TTL for an entry with `remainingMs` left in L2 (0: none). -1 when it must not be kept. */
  private l1TtlFor(remainingMs: number): number {
    if (remainingMs < 0) return -1;
    if (this.l1TtlMs === 0) return remainingMs;
    if (remainingMs === 0) return this.l1TtlMs;
    return Math.min(this.l1TtlMs, remainingMs);
  }

  /** Records that keys changed now, for the L2 operations in flight. */
  private touch(keys: readonly string[]): void {
    const at = ++this.seq;
    if (this.inFlight === 0) return;
    for (const key of keys) this.touched.set(key, at);
    if (this.touched.size > MAX_TRACKED) {
      this.touched.clear();
      this.floor = at;
    }
  }

  private begin(): number {
    this.inFlight++;
    return this.seq;
  }

  private end(): void {
    if (--this.inFlight === 0) this.touched.clear();
  }

  private unchangedSince(start: number, versionKeys: readonly string[], key?: string): boolean {
    if (start < this.floor) return false;
    if (key !== undefined && (this.touched.get(key) ?? 0) > start) return false;
    for (const k of versionKeys) if ((this.touched.get(k) ?? 0) > start) return false;
    return true;
  }

  private announce(message: Omit<InvalidationMessage, 'from'>): Promise<void> {
    return this.bus === undefined ? Promise.resolve() : this.bus.publish(message);
  }

  /** Publishes; a failure is reported, not thrown (L2 already holds the change; other L1 copies expire within l1Ttl). */
  private async announceReported(message: Omit<InvalidationMessage, 'from'>): Promise<void> {
    try {
      await this.announce(message);
    } catch (error) {
      this.hooks.onError?.(error);
    }
  }
}
