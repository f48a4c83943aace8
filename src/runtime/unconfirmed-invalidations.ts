import type { CacheStore } from '../stores/store.js';
import { writeTombstone } from './tombstones.js';

/**
 * Invalidations that a store failed to take (it was down or timed out). Until a retry gets
 * through, this process serves those keys, namespaces and tags from the method, never from
 * the cache, so a write that succeeded in the database is not hidden by an entry the store
 * still holds. Retries run every `retryMs` on an unref'd timer; the list is bounded.
 */
export class UnconfirmedInvalidations {
  private readonly keys = new Map<string, CacheStore>();
  private readonly versions = new Map<string, CacheStore>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly leaseMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly retryMs = 1_000,
    private readonly limit = 100_000,
  ) {}

  /** Number of keys and version counters waiting for a retry. */
  get size(): number {
    return this.keys.size + this.versions.size;
  }

  /** Whether a read of `key` (with these version keys) must bypass the cache. */
  blocks(key: string, versionKeys: readonly string[]): boolean {
    if (this.keys.has(key)) return true;
    if (this.versions.size === 0) return false;
    for (const k of versionKeys) if (this.versions.has(k)) return true;
    return false;
  }

  /** Remembers invalidations that failed, to retry them until the store takes them. */
  add(store: CacheStore, keys: readonly string[], versionKeys: readonly string[]): void {
    if (this.size + keys.length + versionKeys.length > this.limit) {
      this.onError(new Error(`more than ${this.limit} invalidations are waiting for an unreachable store; the oldest are dropped`));
      this.keys.clear();
      this.versions.clear();
    }
    for (const k of keys) this.keys.set(k, store);
    for (const k of versionKeys) this.versions.set(k, store);
    this.timer ??= setInterval(() => void this.retry(), this.retryMs).unref();
  }

  /** Tries every waiting invalidation once; the ones that get through are forgotten. */
  async retry(): Promise<void> {
    const keyJobs = [...this.keys].map(async ([key, store]) => {
      await writeTombstone(store, key, this.leaseMs);
      if (this.keys.get(key) === store) this.keys.delete(key);
    });
    const versionJobs = [...this.versions].map(async ([key, store]) => {
      await store.bump([key]);
      if (this.versions.get(key) === store) this.versions.delete(key);
    });
    await Promise.allSettled([...keyJobs, ...versionJobs]);
    if (this.size === 0) this.stop();
  }

  /** Stops retrying (on close). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
