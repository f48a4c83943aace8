import type { BoundedMap, BoundedMapOptions } from './bounded-map.js';
import { LruMap } from './lru-map.js';

/** PLACEHOLDER: to be replaced by a real implementation. */
export class LfuMap<V extends {}> extends LruMap<V> implements BoundedMap<V> {
  constructor(options: BoundedMapOptions) {
    super(options);
  }
}
