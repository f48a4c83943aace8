/**
 * The runtime's deadline around a store that does not enforce its own (any backend, custom
 * stores included).
 */

import { StoreTimeoutError } from '../errors.js';
import type { CacheStore, ReadResult, StoreHooks, StoreState, StoredEntry } from '../cache-store.js';
import { optionalOperations } from './optional-operations.js';

/**
 * Puts a deadline on every operation of a store that does not enforce its own
 * (`store.enforcesTimeouts`), so a hung custom store turns into a StoreTimeoutError and the
 * decorated call falls back to the method instead of hanging. Synchronous reads pass through;
 * every optional operation the store has (batch reads, tombstones, locks) is kept, under the deadline.
 */
export class TimeoutGuard implements CacheStore {
  readonly name: string;
  readonly readSync?: CacheStore['readSync'];
  readonly writeTombstone?: CacheStore['writeTombstone'];
  readonly readMany?: CacheStore['readMany'];
  readonly readLocal?: CacheStore['readLocal'];
  readonly acquireLock?: CacheStore['acquireLock'];
  readonly releaseLock?: CacheStore['releaseLock'];

  constructor(
    private readonly inner: CacheStore,
    private readonly timeoutMs: number,
  ) {
    this.name = inner.name;
    // a store that can lock keeps its lock behind the guard (distributedLock depends on it), under the same deadline
    Object.assign(this, optionalOperations(inner, (operation, run) => this.within(operation, run())));
  }

  /** Wraps `store` unless it enforces timeouts itself or the timeout is 0. */
  static wrap(store: CacheStore, timeoutMs: number): CacheStore {
    return store.enforcesTimeouts || timeoutMs <= 0 ? store : new TimeoutGuard(store, timeoutMs);
  }

  private within<T>(operation: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreTimeoutError(`store '${this.name}' did not answer ${operation} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      timer.unref();
    });
    return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
  }

  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    return this.within('read', this.inner.read(key, versionKeys));
  }
  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    return this.within('readVersions', this.inner.readVersions(versionKeys));
  }
  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    return this.within('write', this.inner.write(key, entry, ttlMs));
  }
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    return this.within('writeIf', this.inner.writeIf(key, entry, ttlMs, expected));
  }
  delete(keys: readonly string[]): Promise<number> {
    return this.within('delete', this.inner.delete(keys));
  }
  bump(versionKeys: readonly string[]): Promise<number[]> {
    return this.within('bump', this.inner.bump(versionKeys));
  }
  clear(): Promise<void> {
    return this.within('clear', this.inner.clear());
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
}
