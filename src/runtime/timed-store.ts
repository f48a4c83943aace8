/**
 * The runtime's view of a store: each operation the runtime's calls make (every decorator, the
 * cache handles, invalidations and their retries, write-behind's pending entries), timed and
 * announced by the `store` event while anyone listens to it. Nothing is measured when nobody
 * listens: an operation pays one check of the listener list and one more function call. A
 * synchronous read (`readSync`) is handed through untimed: the memory hit path is the store's own.
 *
 * It sits above the runtime's `storeTimeout` guard, so a guarded custom store's deadline shows as
 * the outcome `timeout`, like a RedisStore's own. A TieredStore is one store here: its L1 and L2
 * are not timed apart.
 */
import type { CacheStore, KeyScope, ReadResult, StoredEntry, StoreHooks, StoreState, SyncOperations } from '../cache-store.js';
import type { CacheEventEmitter, StoreOperation } from './events.js';
import { optionalOperations } from '../stores/optional-operations.js';

/** The code of a StoreTimeoutError (compared by code, so an error of another copy of cachekit counts too). */
const TIMEOUT_CODE = 'E_STORE_TIMEOUT';

/** A store whose operations are timed while anyone listens to the runtime's `store` event (see the file comment). */
export class TimedStore implements CacheStore {
  readonly name: string;
  readonly enforcesTimeouts?: boolean;
  readonly readSync?: CacheStore['readSync'];
  readonly readMany?: CacheStore['readMany'];
  readonly readLocal?: CacheStore['readLocal'];
  readonly writeTombstone?: CacheStore['writeTombstone'];
  readonly acquireLock?: CacheStore['acquireLock'];
  readonly releaseLock?: CacheStore['releaseLock'];
  readonly keyScope?: CacheStore['keyScope'];
  readonly syncOperations?: CacheStore['syncOperations'];

  /**
   * @param inner the store the runtime was configured with (behind its deadline, if any)
   * @param events the runtime's events
   */
  constructor(
    readonly inner: CacheStore,
    private readonly events: CacheEventEmitter,
  ) {
    this.name = inner.name;
    if (inner.enforcesTimeouts !== undefined) this.enforcesTimeouts = inner.enforcesTimeouts;
    // the optional operations exist only where the store has them (callers test for them).
    // A synchronous read (a MemoryStore's, a TieredStore's L1) does no I/O and takes well under a
    // microsecond: it is not timed (timing and recording it would cost several times the read, on
    // the hottest path); hits and misses count it. One that cannot answer is followed by a timed read.
    // `readLocal`, the copy read only when the store and the method both failed, is not an operation.
    Object.assign(this, optionalOperations(inner, (operation, run) => (events.has('store') ? this.timed(operation, run) : run())));
    // a key scope's operations are the store's own on full keys: its read untimed (synchronous), its writeIf timed as writeIf
    if (inner.keyScope) {
      this.keyScope = (scope, kind): KeyScope | undefined => {
        const entries = inner.keyScope!(scope, kind);
        if (entries === undefined) return undefined;
        return {
          readSync: entries.readSync,
          writeIf: (part, entry, ttlMs, expected) =>
            events.has('store') ? this.timed('writeIf', () => entries.writeIf(part, entry, ttlMs, expected)) : entries.writeIf(part, entry, ttlMs, expected),
        };
      };
    }
    // the sync operations are timed like the asynchronous ones of the same name while anyone listens (each does what that one does)
    if (inner.syncOperations) {
      this.syncOperations = (): SyncOperations | undefined => {
        const sync = inner.syncOperations!();
        if (sync === undefined) return undefined;
        return {
          readVersions: (versionKeys) => (events.has('store') ? this.timedSync('readVersions', () => sync.readVersions(versionKeys)) : sync.readVersions(versionKeys)),
          write: (key, entry, ttlMs) => (events.has('store') ? this.timedSync('write', () => sync.write(key, entry, ttlMs)) : sync.write(key, entry, ttlMs)),
          writeIf: (key, entry, ttlMs, expected, at) =>
            events.has('store') ? this.timedSync('writeIf', () => sync.writeIf(key, entry, ttlMs, expected, at)) : sync.writeIf(key, entry, ttlMs, expected, at),
        };
      };
    }
  }

  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    return this.events.has('store') ? this.timed('read', () => this.inner.read(key, versionKeys)) : this.inner.read(key, versionKeys);
  }
  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    return this.events.has('store') ? this.timed('readVersions', () => this.inner.readVersions(versionKeys)) : this.inner.readVersions(versionKeys);
  }
  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    return this.events.has('store') ? this.timed('write', () => this.inner.write(key, entry, ttlMs)) : this.inner.write(key, entry, ttlMs);
  }
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    return this.events.has('store')
      ? this.timed('writeIf', () => this.inner.writeIf(key, entry, ttlMs, expected))
      : this.inner.writeIf(key, entry, ttlMs, expected);
  }
  delete(keys: readonly string[]): Promise<number> {
    return this.events.has('store') ? this.timed('delete', () => this.inner.delete(keys)) : this.inner.delete(keys);
  }
  bump(versionKeys: readonly string[]): Promise<number[]> {
    return this.events.has('store') ? this.timed('bump', () => this.inner.bump(versionKeys)) : this.inner.bump(versionKeys);
  }
  clear(): Promise<void> {
    return this.events.has('store') ? this.timed('clear', () => this.inner.clear()) : this.inner.clear();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  inspect(): StoreState {
    return this.inner.inspect?.() ?? { name: this.name };
  }
  attach(hooks: StoreHooks): void {
    this.inner.attach?.(hooks);
  }

  /** Runs an asynchronous operation and announces its duration and outcome once it settles. */
  private timed<T>(operation: StoreOperation, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let running: Promise<T>;
    try {
      running = run();
    } catch (error) {
      this.announce(operation, started, true, error);
      throw error;
    }
    return running.then(
      (value) => {
        this.announce(operation, started, false);
        return value;
      },
      (error: unknown) => {
        this.announce(operation, started, true, error);
        throw error;
      },
    );
  }

  /** Runs a synchronous operation and announces its duration and outcome. */
  private timedSync<T>(operation: StoreOperation, run: () => T): T {
    const started = performance.now();
    let value: T;
    try {
      value = run();
    } catch (error) {
      this.announce(operation, started, true, error);
      throw error;
    }
    this.announce(operation, started, false);
    return value;
  }

  /** Emits the `store` event of one settled operation. */
  private announce(operation: StoreOperation, started: number, failed: boolean, error?: unknown): void {
    const durationMs = performance.now() - started;
    const outcome = !failed ? 'ok' : (error as { code?: unknown } | null)?.code === TIMEOUT_CODE ? 'timeout' : 'error';
    this.events.emit('store', { store: this.name, operation, outcome, durationMs });
  }
}

/** The store `store` stands for: the one a {@link TimedStore} wraps, else `store` itself (for checks of what kind of store it is). */
export function untimed(store: CacheStore): CacheStore {
  return store instanceof TimedStore ? store.inner : store;
}
