import type { CacheStore } from '../cache-store.js';
import { writeTombstone } from './tombstones.js';
import { namespaceVersionKeyOf } from '../stores/key-layout.js';

/**
 * Invalidations that a store failed to take (it was down or timed out). Until a retry gets
 * through, this process serves those keys, namespaces and tags from the method, never from
 * the cache, so a write that succeeded in the database is not hidden by an entry the store
 * still holds. Retries run every `retryMs` on an unref'd timer.
 *
 * The list is bounded by `limit`, and nothing is ever forgotten to stay within it: past the
 * limit, the waiting keys are folded into their namespaces (each namespace is then bypassed
 * and, on retry, its version bumped: every entry of it is invalidated, the waiting ones with
 * the rest); if the namespaces and tags alone still exceed the limit, the whole store is
 * bypassed (every read of every store goes to the method) until a `clear()` of that store
 * gets through. Each fold is reported once through `onError`.
 */
export class UnconfirmedInvalidations {
  private readonly keys = new Map<string, CacheStore>();
  private readonly versions = new Map<string, CacheStore>();
  /** Stores whose invalidations overflowed even as namespaces: cleared whole on retry, bypassed until then. */
  private readonly wholeStores = new Set<CacheStore>();
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param leaseMs TTL of the tombstones a retry writes
   * @param onError reports a fold (see the class comment)
   * @param retryMs interval between retries @default 1_000
   * @param limit most keys and version counters remembered one by one @default 100_000
   */
  constructor(
    private readonly leaseMs: number,
    private readonly onError: (error: unknown) => void,
    private readonly retryMs = 1_000,
    private readonly limit = 100_000,
  ) {}

  /** Number of keys, version counters and whole stores waiting for a retry. */
  get size(): number {
    return this.keys.size + this.versions.size + this.wholeStores.size;
  }

  /** Whether a read of `key` (with these version keys: the namespace's first) must bypass the cache. */
  blocks(key: string, versionKeys: readonly string[]): boolean {
    if (this.wholeStores.size !== 0 || this.keys.has(key)) return true;
    if (this.versions.size === 0) return false;
    for (const k of versionKeys) if (this.versions.has(k)) return true;
    return false;
  }

  /** Remembers invalidations that failed, to retry them until the store takes them. */
  add(store: CacheStore, keys: readonly string[], versionKeys: readonly string[]): void {
    for (const k of keys) this.keys.set(k, store);
    for (const k of versionKeys) this.versions.set(k, store);
    if (this.keys.size + this.versions.size > this.limit) this.fold();
    this.timer ??= setInterval(() => void this.retry(), this.retryMs).unref();
  }

  /** Tries every waiting invalidation once; the ones that get through are forgotten. */
  async retry(): Promise<void> {
    const storeJobs = [...this.wholeStores].map(async (store) => {
      await store.clear();
      this.wholeStores.delete(store);
    });
    const keyJobs = [...this.keys].map(async ([key, store]) => {
      await writeTombstone(store, key, this.leaseMs);
      if (this.keys.get(key) === store) this.keys.delete(key);
    });
    const versionJobs = [...this.versions].map(async ([key, store]) => {
      await store.bump([key]);
      if (this.versions.get(key) === store) this.versions.delete(key);
    });
    await Promise.allSettled([...storeJobs, ...keyJobs, ...versionJobs]);
    if (this.size === 0) this.stop();
  }

  /** Stops retrying (on close). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Over the limit: keys become their namespaces; if that is not enough, their stores become whole-store guards. */
  private fold(): void {
    const keys = this.keys.size;
    for (const [key, store] of this.keys) {
      const namespace = namespaceVersionKeyOf(key);
      if (namespace !== undefined) this.versions.set(namespace, store);
      else this.wholeStores.add(store);
    }
    this.keys.clear();
    if (this.versions.size <= this.limit) {
      this.onError(
        new Error(`more than ${this.limit} invalidations are waiting for an unreachable store: ${keys} keys are now waiting as the invalidation of their namespaces`),
      );
      return;
    }
    const counters = this.versions.size;
    for (const store of this.versions.values()) this.wholeStores.add(store);
    this.versions.clear();
    this.onError(
      new Error(
        `more than ${this.limit} namespaces and tags are waiting for an unreachable store (${counters}): every read bypasses the cache until the store takes a clear()`,
      ),
    );
  }
}
