/**
 * MemoryStore: the {@link CacheStore} in process memory, bounded by an eviction policy
 * (`eviction/`), with sizes estimated by `estimate-size.ts` and a coarse clock (`coarse-clock.ts`).
 * Entries are kept by slot, with no object per entry (`entry-columns.ts`).
 */

import { keepsPendingEntry, type CacheStore, type KeyScope, type ReadResult, type StoreHooks, type StoreState, type StoredEntry, type SyncOperations } from '../../cache-store.js';
import { hashPart } from '../key-parts.js';
import type { PartIndex } from './eviction/key-index.js';
import type { BoundedMap } from './eviction/bounded-map.js';
import { createBoundedMap, EVICTION_POLICIES } from './eviction/create-bounded-map.js';
import { estimateSize } from './estimate-size.js';
import { quote } from '../../duration.js';
import { checkKnownOptions } from '../../known-options.js';
import { copyValue } from '../../copy-value.js';
import { coarseClock } from './coarse-clock.js';
import { ValueTooLargeError } from '../../errors.js';
import { AbsentGenerations } from './absent-generations.js';
import { commonVersion, EntryColumns, slotValue } from './entry-columns.js';
import type { Clock, MemoryStoreOptions } from '../../options/memory-store.js';
import type { NoneMissing } from '../../known-options.js';
import { MEMORY_STORE_DEFAULTS } from '../../defaults.js';

/** {@link MemoryStore}'s `writeAt` answer for a value too big to hold. */
const TOO_BIG = -2;

/** The option names MemoryStore knows: every key of {@link MemoryStoreOptions}, no other. */
const MEMORY_STORE_OPTIONS = ['maxEntries', 'maxBytes', 'policy', 'sizeOf', 'clock', 'name', 'copyOnRead'] as const satisfies readonly (keyof MemoryStoreOptions)[];
type _EveryMemoryStoreOption = NoneMissing<Exclude<keyof MemoryStoreOptions, (typeof MEMORY_STORE_OPTIONS)[number]>>;

/**
 * The in-process store: a bounded map (LRU by default) with per-entry TTL. Every operation is
 * synchronous underneath and O(1); the async methods resolve at once. An entry lives in a slot
 * of the map, its generation, namespace version and expiry time in the entry columns: a read
 * returns an entry equal to the one written (for the common `{ v, g, n }`, a new object each
 * read; any other entry is the object written).
 * A key that lost its record without a write (evicted, refused, too big, expired, deleted,
 * cleared) reads as a tombstone of its absent generation, so a lease taken before the loss
 * cannot populate it (see `absent-generations.ts`).
 */
export class MemoryStore implements CacheStore {
  readonly name: string;
  /** Memory operations never wait. */
  readonly enforcesTimeouts = true;
  /** Key -> slot, and the slot's value (the entry's `v`, or the whole entry: see `entry-columns.ts`). */
  private readonly records: BoundedMap<unknown>;
  /** The other fields of each slot's entry, and its expiry time. */
  private readonly columns = new EntryColumns();
  /**
   * Version counters, each as a one-element array: a read of one counter (a namespace without
   * tags, the common case) returns it as its `versions` with no allocation (shared: callers never
   * write into the versions they are given). Pays for the entry a read builds (`EntryColumns.read`).
   */
  private readonly counters = new Map<string, readonly [number]>();
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
    this.records = createBoundedMap<unknown>(policy, {
      maxEntries,
      maxSize: maxBytes,
      onEvict: (key, hash) => {
        this.absent.removed(hash);
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
    const versions = this.versionsOf(versionKeys);
    const slot = this.live(this.records.slotOf(key));
    if (slot < 0) return { entry: this.absent.untouched ? undefined : this.absentEntry(this.records.hashOf(key)), versions };
    return { entry: this.entryAt(slot), versions };
  }

  /**
   * The entries of one scope and kind of key part, addressed by part: an entry written through it
   * keeps the part as its key (a lone argument's string is the caller's own, with no key string).
   * None (undefined) for a subclass or an instance whose `read`, `readSync`, `write` or `writeIf`
   * is not MemoryStore's own: its calls keep going through them, by full key.
   */
  keyScope(scope: string, kind: 0 | 1): KeyScope | undefined {
    // a subclass (or an instance) that replaced an operation a key scope stands in for keeps it: addressed by full key
    if (this.replacedOperations()) return undefined;
    const index = this.records.partIndex(scope, kind);
    return {
      readSync: (part, versionKeys) => this.readPart(index, part, versionKeys),
      writeIf: (part, entry, ttlMs, expected) => Promise.resolve(this.writePartIf(index, part, entry, ttlMs, expected)),
    };
  }

  /**
   * The store's writes answered at once (`@WriteBehind`'s pending entries and their releases).
   * None (undefined) for a subclass or an instance whose `read`, `readSync`, `readVersions`,
   * `write` or `writeIf` is not MemoryStore's own: its calls keep going through them.
   */
  syncOperations(): SyncOperations | undefined {
    if (this.replacedOperations() || this.readVersions !== MemoryStore.prototype.readVersions) return undefined;
    return {
      readVersions: (versionKeys) => this.versionsOf(versionKeys),
      write: (key, entry, ttlMs) => this.writeAt(key, entry, ttlMs),
      writeIf: (key, entry, ttlMs, expected, at) => this.writeIfSync(key, entry, ttlMs, expected, at),
    };
  }

  /** Whether a subclass or the instance replaced `read`, `readSync`, `write` or `writeIf` (a key scope and the sync operations stand in for them). */
  private replacedOperations(): boolean {
    const own = MemoryStore.prototype;
    return this.readSync !== own.readSync || this.read !== own.read || this.writeIf !== own.writeIf || this.write !== own.write;
  }

  private readPart(index: PartIndex, part: string | number, versionKeys: readonly string[]): ReadResult {
    const versions = this.versionsOf(versionKeys);
    const slot = this.live(this.records.slotIn(index, part));
    if (slot < 0) return { entry: this.absent.untouched ? undefined : this.absentEntry(hashPart(index.hash, part)), versions };
    return { entry: this.entryAt(slot), versions };
  }

  private writePartIf(index: PartIndex, part: string | number, entry: StoredEntry, ttlMs: number, expected: number | undefined): boolean {
    const records = this.records;
    const slot = this.live(records.slotIn(index, part));
    const current = slot >= 0 ? this.columns.generation(slot, records.valueAt(slot)) : this.absent.untouched ? undefined : this.absent.of(hashPart(index.hash, part));
    if (current !== expected) return false;
    if (this.sizeOf !== undefined) return this.writeSync(index.keyOf(part), entry, ttlMs);
    const held = this.held(entry);
    const n = commonVersion(held);
    this.place(records.putIn(index, part, slotValue(held, n), 1), held, n, this.expiresAt(ttlMs));
    return true;
  }

  /** The entry as the store holds it: with `copyOnRead`, with a copy of its value. */
  private held(entry: StoredEntry): StoredEntry {
    return this.copyOnRead && 'v' in entry ? { ...entry, v: copyValue(entry.v) } : entry;
  }

  /** When an entry written now for `ttlMs` expires (0: never). */
  private expiresAt(ttlMs: number): number {
    return ttlMs > 0 ? this.clock.now() + ttlMs : 0;
  }

  private versionsOf(versionKeys: readonly string[]): readonly number[] {
    const n = versionKeys.length;
    return n === 1 ? (this.counters.get(versionKeys[0]!) ?? ZERO) : n === 0 ? EMPTY : versionKeys.map((k) => this.counterOf(k));
  }

  private entryAt(slot: number): StoredEntry {
    const entry = this.columns.read(slot, this.records.valueAt(slot));
    return this.copyOnRead && 'v' in entry ? { ...entry, v: copyValue(entry.v) } : entry;
  }

  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    return Promise.resolve(this.readSync(key, versionKeys));
  }

  readVersions(versionKeys: readonly string[]): Promise<number[]> {
    return Promise.resolve(versionKeys.map((k) => this.counterOf(k)));
  }

  /** Synchronous {@link write}. @returns false when the value was too big to hold (nothing is stored under the key then) */
  writeSync(key: string, entry: StoredEntry, ttlMs: number): boolean {
    return this.writeAt(key, entry, ttlMs) !== TOO_BIG;
  }

  /**
   * {@link writeSync}. @returns the slot the entry was put in (a hint for a later {@link writeIfSync}
   * of the key, which an eviction may have made stale already), or TOO_BIG (nothing is stored under the key then)
   */
  private writeAt(key: string, entry: StoredEntry, ttlMs: number): number {
    entry = this.held(entry);
    const expiresAt = this.expiresAt(ttlMs);
    const size = this.sizeOf ? this.sizeOf(entry.v) + key.length * 2 : 1;
    if (size > this.maxBytes) {
      // Too big to hold: not stored, and the older entry goes (it would be stale).
      this.records.delete(key);
      this.absent.removed(this.records.hashOf(key));
      if (this.oversizedValues++ === 0) {
        this.hooks.onError?.(
          new ValueTooLargeError(
            `${this.name}: a value of about ${size} bytes under '${key}' is bigger than maxBytes (${this.maxBytes}) and was not cached; later ones are only counted (oversizedValues)`,
          ),
        );
      }
      return TOO_BIG;
    }
    const n = commonVersion(entry);
    const slot = this.records.put(key, slotValue(entry, n), size);
    this.place(slot, entry, n, expiresAt);
    return slot;
  }

  /** Fills the other fields of the entry `put` into `slot` (none: -1), `n` its common version, then evicts what no longer fits. */
  private place(slot: number, entry: StoredEntry, n: number | undefined, expiresAt: number): void {
    const records = this.records;
    if (slot >= 0) {
      // the slot's fields are filled before any eviction is reported (a listener may read the key)
      this.columns.ensure(records.capacity);
      this.columns.write(slot, entry, n, expiresAt);
    }
    records.evictOverflow();
  }

  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    this.writeSync(key, entry, ttlMs);
    return Promise.resolve();
  }

  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    return Promise.resolve(this.writeIfSync(key, entry, ttlMs, expected));
  }

  /**
   * Synchronous {@link writeIf}: the key is looked up once (the entry is written into the slot the
   * compare found), or not at all when `at` still holds it.
   * @param at where a write put the key's entry ({@link SyncOperations.write}'s answer), looked at first
   */
  writeIfSync(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined, at?: number): boolean {
    const records = this.records;
    const slot = this.live(records.slotOf(key, at));
    const current = slot >= 0 ? this.columns.generation(slot, records.valueAt(slot)) : this.absent.untouched ? undefined : this.absent.of(records.hashOf(key));
    if (current !== expected) return false;
    // a sized entry's weight counts its key: writeSync weighs it
    if (slot < 0 || this.sizeOf !== undefined) return this.writeSync(key, entry, ttlMs);
    const held = this.held(entry);
    const n = commonVersion(held);
    this.place(records.putAt(slot, slotValue(held, n), 1), held, n, this.expiresAt(ttlMs));
    return true;
  }

  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    const slot = this.live(this.records.slotOf(key));
    const current = slot >= 0 ? this.columns.read(slot, this.records.valueAt(slot)) : undefined;
    // a queued write-behind write is the newest accepted value: only its writer replaces it
    if (keepsPendingEntry(current, writer)) return Promise.resolve(false);
    this.writeSync(key, tombstone, ttlMs);
    return Promise.resolve(true);
  }

  delete(keys: readonly string[]): Promise<number> {
    let n = 0;
    for (const key of keys) {
      const slot = this.records.slotOf(key);
      if (slot >= 0) {
        n++;
        this.forget(slot);
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
      const next = this.counterOf(k) + 1;
      this.counters.set(k, [next]);
      return next;
    });
  }

  /** Sets counters to known values (a tiered L1 mirroring its L2). */
  setVersions(versionKeys: readonly string[], values: readonly number[]): void {
    versionKeys.forEach((k, i) => this.counters.set(k, [values[i]!]));
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

  /** The value of one counter (0 until bumped). */
  private counterOf(key: string): number {
    return this.counters.get(key)?.[0] ?? 0;
  }

  /** `slot` (-1: none) if its entry has not expired; drops it if it has. @returns -1 for none */
  private live(slot: number): number {
    if (slot < 0) return slot;
    const expiresAt = this.columns.expiresAt(slot);
    if (expiresAt !== 0 && expiresAt <= this.clock.now()) {
      this.forget(slot);
      return -1;
    }
    return slot;
  }

  /** Removes the entry in `slot` without a write: leases taken before must not populate its key. */
  private forget(slot: number): void {
    this.absent.removed(this.records.hashAt(slot));
    this.records.deleteSlot(slot);
  }

  /**
   * What a key without a record reads as, by its hash: no entry, or (once a record of its bucket
   * left without a write, or after a clear) a tombstone, so a lease taken before cannot populate.
   */
  private absentEntry(hash: number): StoredEntry | undefined {
    const g = this.absent.of(hash);
    return g === undefined ? undefined : { g, d: 1 };
  }
}

const EMPTY: number[] = [];
/** The versions of one counter never bumped. */
const ZERO: readonly [number] = [0];
