import type { CacheStore, ReadResult, StoreHooks, StoredEntry } from 'cachekit';
import { quote } from 'cachekit';

/** One read the store answered: `found` is whether it held a value (a tombstone counts as none). */
export interface RecordedRead {
  readonly kind: 'read';
  /** The full key (`prefix:namespace:key`, see docs/keys.md). */
  readonly key: string;
  readonly found: boolean;
}

/** One entry written (a miss populating under its lease, a write-through, a queued write-behind value). */
export interface RecordedWrite {
  readonly kind: 'write';
  readonly key: string;
  readonly value: unknown;
  /** The TTL asked for, in ms (0: no expiry). */
  readonly ttlMs: number;
  /** Whether the write was conditional (`writeIf`: a populate under a lease). */
  readonly conditional: boolean;
  /** Whether the store took it (`false`: a conditional write refused because the key changed). */
  readonly stored: boolean;
}

/** One invalidation: keys dropped (a tombstone or a delete), version counters bumped (a namespace or tags), or a clear. */
export interface RecordedInvalidation {
  readonly kind: 'invalidate';
  readonly how: 'tombstone' | 'delete' | 'bump' | 'clear';
  /** The full keys (tombstone, delete) or version keys (`prefix#n:namespace`, `prefix#t:tag`) concerned; empty for a clear. */
  readonly keys: readonly string[];
}

/** An operation a {@link RecordingStore} saw, in the order the runtime made them. */
export type RecordedOperation = RecordedRead | RecordedWrite | RecordedInvalidation;

/** A store that forwards every operation to another one and lists what it did (see {@link recordingStore}). */
export interface RecordingStore extends CacheStore {
  /** The store the operations go to. */
  readonly inner: CacheStore;
  /** Every read, write and invalidation since creation or the last {@link reset}, in order. */
  readonly operations: readonly RecordedOperation[];
  /** The reads in {@link operations}. */
  readonly reads: readonly RecordedRead[];
  /** The writes in {@link operations}. */
  readonly writes: readonly RecordedWrite[];
  /** The invalidations in {@link operations}. */
  readonly invalidations: readonly RecordedInvalidation[];
  /** Forgets what was recorded (the store's content stays). */
  reset(): void;
}

const found = (read: ReadResult | undefined): boolean => read?.entry !== undefined && read.entry.d !== 1;

/**
 * Wraps `store` so that every read, write and invalidation the runtime makes is listed, for
 * assertions such as "the second call wrote nothing": `recording.writes.map((w) => w.key)`.
 * Keeps what the inner store can do (synchronous reads, locks, its own deadlines), so the runtime
 * behaves as with the inner store itself. Version-counter reads are not listed.
 * @throws TypeError when `store` is not a CacheStore
 */
export function recordingStore(store: CacheStore): RecordingStore {
  if (typeof store !== 'object' || store === null || typeof (store as CacheStore).read !== 'function') {
    throw new TypeError(`recordingStore: store must be a CacheStore (MemoryStore, RedisStore, TieredStore, ...); got ${quote(store)}`);
  }
  const operations: RecordedOperation[] = [];
  const record = <T extends RecordedOperation>(op: T): T => (operations.push(op), op);
  const of = <K extends RecordedOperation['kind']>(kind: K) => operations.filter((op): op is Extract<RecordedOperation, { kind: K }> => op.kind === kind);
  const writeOf = (key: string, entry: StoredEntry, ttlMs: number, conditional: boolean, stored: boolean): RecordedOperation =>
    entry.d === 1 ? { kind: 'invalidate', how: 'tombstone', keys: [key] } : { kind: 'write', key, value: entry.v, ttlMs, conditional, stored };

  const recording: RecordingStore = {
    name: store.name,
    enforcesTimeouts: store.enforcesTimeouts,
    inner: store,
    get operations() {
      return operations;
    },
    get reads() {
      return of('read');
    },
    get writes() {
      return of('write');
    },
    get invalidations() {
      return of('invalidate');
    },
    reset() {
      operations.length = 0;
    },
    async read(key, versionKeys) {
      const read = await store.read(key, versionKeys);
      record({ kind: 'read', key, found: found(read) });
      return read;
    },
    readVersions: (versionKeys) => store.readVersions(versionKeys),
    async write(key, entry, ttlMs) {
      await store.write(key, entry, ttlMs);
      record(writeOf(key, entry, ttlMs, false, true));
    },
    async writeIf(key, entry, ttlMs, expected) {
      const stored = await store.writeIf(key, entry, ttlMs, expected);
      record(writeOf(key, entry, ttlMs, true, stored));
      return stored;
    },
    async delete(keys) {
      const n = await store.delete(keys);
      record({ kind: 'invalidate', how: 'delete', keys: [...keys] });
      return n;
    },
    async bump(versionKeys) {
      const versions = await store.bump(versionKeys);
      record({ kind: 'invalidate', how: 'bump', keys: [...versionKeys] });
      return versions;
    },
    async clear() {
      await store.clear();
      record({ kind: 'invalidate', how: 'clear', keys: [] });
    },
    close: () => store.close(),
    attach: (hooks: StoreHooks) => store.attach?.(hooks),
  };
  if (store.readSync) {
    const readSync = store.readSync.bind(store);
    recording.readSync = (key, versionKeys) => {
      const read = readSync(key, versionKeys);
      // undefined: the store cannot answer without I/O; the runtime calls read(), which records
      if (read !== undefined) record({ kind: 'read', key, found: found(read) });
      return read;
    };
  }
  if (store.readMany) {
    const readMany = store.readMany.bind(store);
    recording.readMany = async (keys, versionKeys) => {
      const reads = await readMany(keys, versionKeys);
      reads.forEach((read, i) => record({ kind: 'read', key: keys[i]!, found: found(read) }));
      return reads;
    };
  }
  if (store.readLocal) recording.readLocal = store.readLocal.bind(store);
  if (store.writeTombstone) {
    const writeTombstone = store.writeTombstone.bind(store);
    recording.writeTombstone = async (key, tombstone, ttlMs, writer) => {
      const written = await writeTombstone(key, tombstone, ttlMs, writer);
      record({ kind: 'invalidate', how: 'tombstone', keys: [key] });
      return written;
    };
  }
  if (store.acquireLock) recording.acquireLock = store.acquireLock.bind(store);
  if (store.releaseLock) recording.releaseLock = store.releaseLock.bind(store);
  return recording;
}
