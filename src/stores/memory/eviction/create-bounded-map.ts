/** The eviction policies MemoryStore knows, by name, and the map each builds. */

import type { BoundedMap, BoundedMapOptions } from './bounded-map.js';
import type { EvictionPolicy } from '../../../options/memory-store.js';
import { LruMap } from './lru-map.js';
import { LfuMap } from './lfu-map.js';
import { TinyLfuMap } from './tinylfu-map.js';

/** Builds the bounded map for an eviction policy. */
export function createBoundedMap<V>(policy: EvictionPolicy, options: BoundedMapOptions): BoundedMap<V> {
  switch (policy) {
    case 'lru':
      return new LruMap<V>(options);
    case 'lfu':
      return new LfuMap<V>(options);
    case 'tinylfu':
      return new TinyLfuMap<V>(options);
  }
}

/** The policy names accepted by `MemoryStore({ policy })`. */
export const EVICTION_POLICIES: readonly EvictionPolicy[] = ['lru', 'lfu', 'tinylfu'];
