/**
 * MemoryStore: the {@link CacheStore} in process memory, bounded by an eviction policy
 * (`eviction/`), with sizes estimated by `estimate-size.ts` and a coarse clock (`coarse-clock.ts`).
 */

import { keepsPendingEntry, type CacheStore, type ReadResult, type StoreHooks, type StoreState, type StoredEntry } from '../../cache-store.js';
import type { BoundedMap } from './eviction/bounded-map.js';
import { createBoundedMap, EVICTION_POLICIES } from './eviction/create-bounded-map.js';
import { estimateSize } from './estimate-size.js';
import { quote } from '../../duration.js';
import { checkKnownOptions } from '../../known-options.js';
import { copyValue } from '../../copy-value.js';
import { coarseClock } from './coarse-clock.js';
import { ValueTooLargeError } from '../../errors.js';
import { AbsentGenerations } from './absent-generations.js';
import type { Clock, MemoryStoreOptions } from '../../options/memory-store.js';
import type { NoneMissing } from '../../known-options.js';
import { MEMORY_STORE_DEFAULTS } from '../../defaults.js';

/** The option names MemoryStore knows: every key of {@link MemoryStoreOptions}, no other. */
const MEMORY_STORE_OPTIONS = ['maxEntries', 'maxBytes', 'policy', 'sizeOf', 'clock', 'name', 'copyOnRead'] as const satisfies readonly (keyof MemoryStoreOptions)[];
type _EveryMemoryStoreOption = NoneMissing<Exclude<keyof MemoryStoreOptions, (typeof MEMORY_STORE_OPTIONS)[number]>>;

interface MemoryRecord {
  entry: StoredEntry;
  /** Absolute expiry time (clock ms), 0 for none. */
  expiresAt: number;
}

/**
 * The in-process store: a bounded map (LRU by default, on lru-cache) with per-entry TTL.
 * Every operation is synchronous underneath and O(1); the async methods resolve at once.
 * A key that lost its record without a write (evicted, refused, too big, expired, deleted,
 * cleared) reads as a tombstone of its absent generation, so a lease taken before the loss
 * cannot populate it (see `absent-generations.ts`).
 */
export class MemoryStore implements CacheStore {
  readonly name: string;
  /** Memory operations never wait. */
  readonly enforcesTimeouts = true;
  private readonly records: BoundedMap<MemoryRecord>;
  private readonly counters = new Map<string, number>();
  private readonly clock: Clock;
  private readonly sizeOf: ((value: unknown) => number) | undefined;
  private readonly maxBytes: number;
  /** What keys without a record read as (see `absent-generations.ts`). */
  private readonly absent: AbsentGenerations;
  private hooks: StoreHooks = {};
  /** Whether values are copied on write and read (`copyOnRead`). */
  private readonly copyOnRead: boolean;
  /** Values not cached because they were bigger than `maxBytes` on their own. */
  oversizedValues = 0;

  constructor(options: MemoryStoreOptions = {}) {
    options = checkKnownOptions('MemoryStore', options, MEMORY_STORE_OPTIONS) as MemoryStoreOptions;
    const maxEntries = options.maxEntries ?? MEMORY_STORE_DEFAULTS.maxEntries;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError(`MemoryStore: maxEntries must be an integer >= 1; got ${quote(options.maxEntries)}`);
    }
    const maxBytes = options.maxBytes ?? MEMORY_STORE_DEFAULTS.maxBytes;
    if (!(maxBytes === Infinity || (Number.isInteger(maxBytes) && maxBytes >= 1))) {
      throw new TypeError(`MemoryStore: maxBytes must be an integer >= 1; got ${quote(options.maxBytes)}`);
    }
    const policy = options.policy ?? MEMORY_STORE_DEFAULTS.policy;
    if (!EVICTION_POLICIES.includes(policy)) {
      throw new TypeError(`MemoryStore: policy must be one of ${EVICTION_POLICIES.map((p) => `'${p}'`).join(', ')}; got ${quote(policy)}`);
    }
    if (options.sizeOf !== undefined && typeof options.sizeOf !== 'function') {
      throw new TypeError(`MemoryStore: sizeOf must be a function; got ${quote(options.sizeOf)}`);
    }
    if (options.clock !== undefined && typeof options.clock?.now !== 'function') {
      throw new TypeError(`MemoryStore: clock must be an object with a now() method; got ${quote(options.clock)}`);
    }
    if (options.copyOnRead !== undefined && typeof options.copyOnRead !== 'boolean') {
      throw new TypeError(`MemoryStore: copyOnRead must be a boolean; got ${quote(options.copyOnRead)}`);
    }
    this.copyOnRead = options.copyOnRead ?? MEMORY_STORE_DEFAULTS.copyOnRead;
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      throw new TypeError(`MemoryStore: name must be a non-empty string; got ${quote(options.name)}`);
    }
    this.name = options.name ?? MEMORY_STORE_DEFAULTS.name;
    this.clock = options.clock ?? coarseClock;
    this.sizeOf = maxBytes === Infinity ? undefined : (options.sizeOf ?? estimateSize);
    this.maxBytes = maxBytes;
    this.absent = new AbsentGenerations(maxEntries);
    this.records = createBoundedMap<MemoryRecord>(policy, {
      maxEntries,
      maxSize: maxBytes,
      onEvict: (key) => {
        this.absent.removed(key);
        this.hooks.onEvict?.(key);
      },
    });
  }

  /** Number of entries held (including tombstones and not yet noticed expired ones). */
  /** The store's name and the entries it holds. */
  inspect(): StoreState {
    return { name: this.name, entries: this.size };
  }

  get size(): number {
    return this.records.size;
  }

  attach(hooks: StoreHooks): void {
    this.hooks = hooks;
  }

  readSync(key: string, versionKeys: readonly string[]): ReadResult {
    const n = versionKeys.length;
    const versions = n === 1 ? [this.counters.get(versionKeys[0]!) ?? 0] : n === 0 ? EMPTY : versionKeys.map((k) => this.counters.get(k) ?? 0);
    const record = this.live(key);
    if (record === undefined) return { entry: this.absentEntry(key), versions };
    const entry = record.entry;
    return { entry: this.copyOnRead && 'v' in entry ? { ...entry, v: copyValue(entry.v) } : entry, versions };
  }

  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    return Promise.resolve(this.readSync(key, versionKeys));
  }

  readVersions(versionKeys: readonly string[]): Promise<number[]> {
    return Promise.resolve(versionKeys.map((k) => this.counters.get(k) ?? 0));
  }

  /** Synchronous {@link write}. @returns false when the value was too big to hold (nothing is stored under the key then) */
  writeSync(key: string, entry: StoredEntry, ttlMs: number): boolean {
    if (this.copyOnRead && 'v' in entry) entry = { ...entry, v: copyValue(entry.v) };
    const expiresAt = ttlMs > 0 ? this.clock.now() + ttlMs : 0;
    const size = this.sizeOf ? this.sizeOf(entry.v) + key.length * 2 : 1;
    if (size > this.maxBytes) {
      // Too big to hold: not stored, and the older entry goes (it would be stale).
      this.records.delete(key);
      this.absent.removed(key);
      if (this.oversizedValues++ === 0) {
        this.hooks.onError?.(
          new ValueTooLargeError(
            `${this.name}: a value of about ${size} bytes under '${key}' is bigger than maxBytes (${this.maxBytes}) and was not cached; later ones are only counted (oversizedValues)`,
          ),
        );
      }
      return false;
    }
    this.records.set(key, { entry, expiresAt }, size);
    return true;
  }

  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    this.writeSync(key, entry, ttlMs);
    return Promise.resolve();
  }

  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    const record = this.live(key);
    if ((record !== undefined ? record.entry.g : this.absent.of(key)) !== expected) return Promise.resolve(false);
    return Promise.resolve(this.writeSync(key, entry, ttlMs));
  }

  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    const current = this.live(key)?.entry;
    // a queued write-behind write is the newest accepted value: only its writer replaces it
    if (keepsPendingEntry(current, writer)) return Promise.resolve(false);
    this.writeSync(key, tombstone, ttlMs);
    return Promise.resolve(true);
  }

  delete(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const key of keys) {
      if (this.records.delete(key)) {
        n++;
        this.absent.removed(key);
      }
    }
    return Promise.resolve(n);
  }

  bump(versionKeys: readonly string[]): Promise<number[]> {
    return Promise.resolve(this.bumpSync(versionKeys));
  }

  /** Synchronous {@link bump}. */
  bumpSync(versionKeys: readonly string[]): number[] {
    return versionKeys.map((k) => {
      const next = (this.counters.get(k) ?? 0) + 1;
      this.counters.set(k, next);
      return next;
    });
  }

  /** Sets counters to known values (a tiered L1 mirroring its L2). */
  setVersions(versionKeys: readonly string[], values: readonly number[]): void {
    versionKeys.forEach((k, i) => this.counters.set(k, values[i]!));
  }

  clear(): Promise<void> {
    this.records.clear();
    this.absent.clear();
    this.counters.clear();
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The record under key if it has not expired; drops it if it has. */
  private live(key: string): MemoryRecord | undefined {
    const record = this.records.get(key);
    if (record === undefined) return undefined;
    if (record.expiresAt !== 0 && record.expiresAt <= this.clock.now()) {
      this.records.delete(key);
      this.absent.removed(key);
      return undefined;
    }
    return record;
  }

  /**
   * What a key without a record reads as: no entry, or (once a record of its bucket left
   * without a write, or after a clear) a tombstone, so a lease taken before cannot populate.
   */
  private absentEntry(key: string): StoredEntry | undefined {
    const g = this.absent.of(key);
    return g === undefined ? undefined : { g, d: 1 };
  }
}

const EMPTY: number[] = [];
