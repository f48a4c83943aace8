/** The LRU eviction policy of MemoryStore (see the class comment). */

import { NO_SLOT, SlotList } from '../../structures/slot-list.js';
import type { BoundedMapOptions } from './bounded-map.js';
import { SlotMap } from './slot-map.js';

/**
 * Least-recently-used eviction, O(1) per operation: one list of slots in recency order (head =
 * least recent); a hit or an overwrite moves its slot to the tail, eviction takes the head.
 * The same order and eviction as lru-cache (which backed this policy before): an entry larger
 * than `maxSize` on its own is not stored and drops the old value under its key; the entry
 * being written is never evicted for its own room.
 *
 * Hand-written on {@link SlotMap} rather than on lru-cache: lru-cache holds one value per key,
 * so a MemoryStore entry would need an object of its own (value, generation, versions, expiry:
 * about 64 bytes with its boxed generation) on top of lru-cache's ~80 bytes of slots; here the
 * store keeps those fields by slot in typed arrays (docs/internals/memory.md).
 */
export class LruMap<V> extends SlotMap<V> {
  private readonly order: SlotList;

  constructor(options: BoundedMapOptions) {
    super(options);
    this.order = new SlotList(this.links);
  }

  protected accessed(slot: number): void {
    this.order.moveToTail(slot);
  }

  protected added(slot: number): void {
    this.order.pushTail(slot);
  }

  protected updated(slot: number): void {
    this.order.moveToTail(slot);
  }

  protected removed(slot: number): void {
    this.order.remove(slot);
  }

  protected evictForRoom(): void {
    while (this.size > this.maxEntries || this.totalSize > this.maxSize) {
      const victim = this.order.head;
      if (victim === NO_SLOT || victim === this.lastPut) return;
      this.evict(victim);
    }
  }

  protected cleared(): void {
    this.order.clear();
  }
}
