import type { CacheStore, ReadResult, StoreHooks, StoredEntry } from '../../src/cache-store.js';

type Mode = 'ok' | 'throw' | 'hang';

/**
 * Wraps a store and makes its operations fail on demand: `throw` rejects every operation,
 * `hang` never settles (until `mode('ok')` releases nothing: hung calls stay hung, as a dead
 * server's would). Used to prove that decorated calls survive a failing store.
 */
export class ChaosStore implements CacheStore {
  readonly name = 'chaos';
  private current: Mode = 'ok';
  /** Operations attempted while failing. */
  failures = 0;

  constructor(private readonly inner: CacheStore) {}

  /** Sets how every following operation behaves. */
  mode(mode: Mode): void {
    this.current = mode;
  }

  private guard<T>(op: () => Promise<T>): Promise<T> {
    if (this.current === 'ok') return op();
    this.failures++;
    if (this.current === 'throw') return Promise.reject(new Error('chaos: store unavailable'));
    return new Promise<T>(() => undefined);
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
  /** The inner store's conditional tombstone (a plain write of it when the inner store has none). */
  writeTombstone(key: string, tombstone: StoredEntry, ttlMs: number, writer?: number): Promise<boolean> {
    const inner = this.inner;
    return this.guard(() =>
      inner.writeTombstone ? inner.writeTombstone(key, tombstone, ttlMs, writer) : inner.write(key, tombstone, ttlMs).then(() => true),
    );
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
