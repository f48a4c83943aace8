/** The LRU eviction policy of MemoryStore (on lru-cache). */

import { LRUCache } from 'lru-cache';
import { weightOf, type BoundedMap, type BoundedMapOptions } from './bounded-map.js';

/** Least-recently-used eviction, built on lru-cache (O(1) per operation). */
export class LruMap<V extends {}> implements BoundedMap<V> {
  private readonly cache: LRUCache<string, V>;
  private readonly sized: boolean;

  constructor(options: BoundedMapOptions) {
    const { onEvict } = options;
    this.sized = Number.isFinite(options.maxSize);
    this.cache = new LRUCache<string, V>({
      max: options.maxEntries,
      ...(this.sized ? { maxSize: options.maxSize } : {}),
      dispose: (_value, key, reason) => {
        if (reason === 'evict') onEvict(key);
      },
    });
  }

  get(key: string): V | undefined {
    return this.cache.get(key);
  }

  set(key: string, value: V, size: number): void {
    if (this.sized) this.cache.set(key, value, { size: weightOf(size, true) });
    else this.cache.set(key, value);
  }

  delete(key: string): boolean {
    return this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }
}
