/**
 * The campaign's chaos wrapper: a store whose operations fail, stall or slow down while a
 * worker's seeded chaos window is open. Unlike chaosStore of cachekit/testing (src/testing/chaos-store.ts) it keeps the
 * wrapped store's Redis `client` visible (durable write-behind journals through it) and, like
 * the stores it wraps, enforces its own deadline: a stalled operation never reaches the store
 * and rejects after `timeoutMs`, as an operation on a server that stopped answering does.
 */
import type { CacheStore, ReadResult, StoreHooks, StoredEntry } from '../../src/cache-store.js';

/** How operations behave: pass through, reject at once, reject after the deadline, or run late. */
export type FaultMode = 'ok' | 'throw' | 'stall' | 'slow';

/** A chaos failure (the `code` the history records). */
export class InjectedStoreError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Wraps a store; {@link mode} switches what its operations do from then on. */
export class FaultStore implements CacheStore {
  readonly name: string;
  readonly enforcesTimeouts = true;
  mode: FaultMode = 'ok';
  /** Operations that failed, stalled or ran late by injection. */
  injected = 0;

  constructor(
    private readonly inner: CacheStore,
    private readonly timeoutMs: number,
    private readonly random: () => number,
  ) {
    this.name = inner.name;
  }

  /** The wrapped store's ioredis client, if it has one. */
  get client(): unknown {
    return (this.inner as { client?: unknown }).client;
  }

  private guard<T>(op: () => Promise<T>): Promise<T> {
    const mode = this.mode;
    if (mode === 'ok') return op();
    this.injected++;
    if (mode === 'throw') return Promise.reject(new InjectedStoreError('chaos: store unavailable', 'CHAOS_THROW'));
    const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    if (mode === 'stall') return wait(this.timeoutMs).then(() => Promise.reject(new InjectedStoreError('chaos: store stalled', 'CHAOS_STALL')));
    return wait(Math.floor(this.random() * this.timeoutMs * 0.6)).then(op);
  }

  readSync(key: string, versionKeys: readonly string[]): ReadResult | undefined {
    return this.mode === 'ok' ? this.inner.readSync?.(key, versionKeys) : undefined;
  }
  read(key: string, versionKeys: readonly string[]): Promise<ReadResult> {
    return this.guard(() => this.inner.read(key, versionKeys));
  }
  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    return this.guard(() => this.inner.readVersions(versionKeys));
  }
  write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    return this.guard(() => this.inner.write(key, entry, ttlMs));
  }
  writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    return this.guard(() => this.inner.writeIf(key, entry, ttlMs, expected));
  }
  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    return this.guard(() => (this.inner.writeTombstone ? this.inner.writeTombstone(key, tombstone, ttlMs, writer) : this.inner.write(key, tombstone, ttlMs).then(() => true)));
  }
  delete(keys: readonly string[]): Promise<number> {
    return this.guard(() => this.inner.delete(keys));
  }
  bump(versionKeys: readonly string[]): Promise<number[]> {
    return this.guard(() => this.inner.bump(versionKeys));
  }
  clear(): Promise<void> {
    return this.guard(() => this.inner.clear());
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  attach(hooks: StoreHooks): void {
    this.inner.attach?.(hooks);
  }
}
