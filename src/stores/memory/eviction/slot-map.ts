/** What every eviction policy of MemoryStore shares: keys in numbered slots (see the class comment). */

import { NO_SLOT, SlotLinks } from '../../structures/slot-list.js';
import { weightOf, type BoundedMap, type BoundedMapOptions } from './bounded-map.js';
import { KeyIndex, type PartIndex } from './key-index.js';
import type { KeyPartKind } from '../../key-parts.js';

/** Slots allocated before the first growth. */
const INITIAL_CAPACITY = 16;

/**
 * A bounded map whose entries live in numbered slots: a {@link KeyIndex} from key to slot (keys
 * kept as scope and part, so a lone argument's string is the caller's own), and by slot the
 * value, the weight (only when bounded by size) and two list links (typed arrays). An entry
 * costs its index entry and about 16 bytes here, with no object of its own; the policy
 * (a subclass) orders slots in {@link SlotList}s over {@link links} and picks the victims.
 *
 * Slots freed by a delete or an eviction are reused (a free chain through `links.next`). Room
 * grows by doubling, up to `maxEntries + 1` slots (a {@link put} holds one entry over the bound
 * until {@link evictOverflow}), and never shrinks: like a preallocated cache at its high-water
 * mark, without paying for room never used.
 */
export abstract class SlotMap<V> implements BoundedMap<V> {
  /** Key -> slot, and slot -> key. */
  private readonly index: KeyIndex;
  /** Slot -> value (undefined while free). */
  private values: (V | undefined)[];
  /** Slot -> weight, when bounded by size (every weight is 1 otherwise). */
  private weights: Float64Array | undefined;
  /** Slot -> previous and next slot in the policy's lists; free slots chain through `next`. */
  protected readonly links: SlotLinks;
  /** The first free slot below {@link used}, or NO_SLOT. */
  private freeHead = NO_SLOT;
  /** Slots handed out so far (all below it are in use or free). */
  private used = 0;
  /** Keys evicted and not yet reported, and their hashes. */
  private evicted: string[] = [];
  private evictedHashes: number[] = [];
  /** The slot of the last {@link put}: LRU and LFU never evict it for its own room. */
  protected lastPut = NO_SLOT;
  protected readonly maxEntries: number;
  protected readonly maxSize: number;
  protected readonly sized: boolean;
  /** Sum of the weights held (0 when not bounded by size). */
  protected totalSize = 0;
  private readonly onEvict: (key: string, hash: number) => void;
  private readonly capacityLimit: number;

  constructor(options: BoundedMapOptions) {
    this.maxEntries = options.maxEntries;
    this.maxSize = options.maxSize;
    this.sized = Number.isFinite(options.maxSize);
    this.onEvict = options.onEvict;
    this.capacityLimit = this.maxEntries + 1;
    const capacity = Math.min(INITIAL_CAPACITY, this.capacityLimit);
    this.index = new KeyIndex(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.weights = this.sized ? new Float64Array(capacity) : undefined;
    this.links = new SlotLinks(capacity);
  }

  get size(): number {
    return this.index.size;
  }

  get capacity(): number {
    return this.links.capacity;
  }

  get(key: string): V | undefined {
    const slot = this.index.slotOf(key);
    if (slot < 0) return undefined;
    this.accessed(slot);
    return this.values[slot];
  }

  slotOf(key: string, at = NO_SLOT): number {
    const slot = at >= 0 && this.index.holds(at, key) ? at : this.index.slotOf(key);
    if (slot < 0) return NO_SLOT;
    this.accessed(slot);
    return slot;
  }

  partIndex(scope: string, kind: KeyPartKind): PartIndex {
    return this.index.partIndex(scope, kind);
  }

  slotIn(index: PartIndex, part: string | number): number {
    const slot = this.index.slotIn(index, part);
    if (slot < 0) return NO_SLOT;
    this.accessed(slot);
    return slot;
  }

  keyAt(slot: number): string {
    return this.index.keyAt(slot);
  }

  hashAt(slot: number): number {
    return this.index.hashAt(slot);
  }

  hashOf(key: string): number {
    return this.index.hashOf(key);
  }

  valueAt(slot: number): V {
    return this.values[slot] as V;
  }

  set(key: string, value: V, size: number): void {
    this.put(key, value, size);
    this.evictOverflow();
  }

  put(key: string, value: V, size: number): number {
    const weight = weightOf(size, this.sized);
    const slot = this.index.slotOf(key);
    if (weight > this.maxSize) return this.tooBig(slot);
    if (slot >= 0) return this.overwrite(slot, value, weight);
    return this.fill(this.allocate(), value, weight, undefined, key);
  }

  putIn(index: PartIndex, part: string | number, value: V, size: number): number {
    const weight = weightOf(size, this.sized);
    const slot = this.index.slotIn(index, part);
    if (weight > this.maxSize) return this.tooBig(slot);
    if (slot >= 0) return this.overwrite(slot, value, weight);
    return this.fill(this.allocate(), value, weight, index, part);
  }

  putAt(slot: number, value: V, size: number): number {
    const weight = weightOf(size, this.sized);
    if (weight > this.maxSize) return this.tooBig(slot);
    return this.overwrite(slot, value, weight);
  }

  /** Too big to hold on its own: not stored, and the older value in `slot` goes (it would be stale). */
  private tooBig(slot: number): number {
    if (slot >= 0) this.deleteSlot(slot);
    this.lastPut = NO_SLOT;
    return NO_SLOT;
  }

  private overwrite(slot: number, value: V, weight: number): number {
    this.values[slot] = value;
    const delta = this.setWeight(slot, weight);
    this.lastPut = slot;
    this.updated(slot, delta);
    return slot;
  }

  /** A new entry in the allocated `slot`, under `part` of `index` (without one: under the whole key `part`). */
  private fill(slot: number, value: V, weight: number, index: PartIndex | undefined, part: string | number): number {
    if (index === undefined) this.index.add(part as string, slot);
    else this.index.addPart(index, part, slot);
    this.values[slot] = value;
    this.setWeight(slot, weight);
    this.lastPut = slot;
    this.added(slot, weight);
    return slot;
  }

  evictOverflow(): void {
    this.evictForRoom();
    this.lastPut = NO_SLOT;
    if (this.evicted.length === 0) return;
    // Report once the map is consistent; a callback may use the map (and evict again).
    const keys = this.evicted;
    const hashes = this.evictedHashes;
    this.evicted = [];
    this.evictedHashes = [];
    for (let i = 0; i < keys.length; i++) this.onEvict(keys[i]!, hashes[i]!);
  }

  delete(key: string): boolean {
    const slot = this.index.slotOf(key);
    if (slot < 0) return false;
    this.deleteSlot(slot);
    return true;
  }

  deleteSlot(slot: number): void {
    this.removed(slot);
    this.free(slot);
  }

  clear(): void {
    this.index.clear();
    this.values.fill(undefined);
    this.weights?.fill(0);
    this.freeHead = NO_SLOT;
    this.used = 0;
    this.totalSize = 0;
    this.lastPut = NO_SLOT;
    this.cleared();
  }

  /** The weight of a slot in use. */
  protected weightAt(slot: number): number {
    return this.weights === undefined ? 1 : this.weights[slot]!;
  }

  /** Evicts the entry in `slot` for room (reported by {@link evictOverflow}). */
  protected evict(slot: number): void {
    this.evicted.push(this.index.keyAt(slot));
    this.evictedHashes.push(this.index.hashAt(slot));
    this.removed(slot);
    this.free(slot);
  }

  /** Makes room for `capacity` slots; a policy with columns of its own grows them too. */
  protected grow(capacity: number): void {
    const values = new Array<V | undefined>(capacity).fill(undefined);
    for (let i = 0; i < this.used; i++) values[i] = this.values[i];
    this.index.grow(capacity, this.used);
    this.values = values;
    if (this.weights !== undefined) {
      const weights = new Float64Array(capacity);
      weights.set(this.weights);
      this.weights = weights;
    }
    this.links.grow(capacity);
  }

  /** A hit on `slot` (counts an access). */
  protected abstract accessed(slot: number): void;
  /** A new entry in `slot` (its key, value and weight are set). */
  protected abstract added(slot: number, weight: number): void;
  /** The entry in `slot` was overwritten (counts an access); its weight changed by `delta`. */
  protected abstract updated(slot: number, delta: number): void;
  /** The entry in `slot` leaves the policy's order (deleted or evicted); its weight is still set. */
  protected abstract removed(slot: number): void;
  /** Evicts (with {@link evict}) until both bounds hold; called after every {@link put}, also within the bounds. */
  protected abstract evictForRoom(): void;
  /** Everything was removed: forget the order (and any history). */
  protected abstract cleared(): void;

  private setWeight(slot: number, weight: number): number {
    // Unbounded by size: every weight is 1 and no total is kept (maxSize is Infinity).
    if (this.weights === undefined) return 0;
    const delta = weight - this.weights[slot]!;
    this.weights[slot] = weight;
    this.totalSize += delta;
    return delta;
  }

  private allocate(): number {
    let slot = this.freeHead;
    if (slot !== NO_SLOT) {
      this.freeHead = this.links.next[slot]!;
      this.links.next[slot] = NO_SLOT;
    } else {
      if (this.used === this.links.capacity) this.grow(Math.min(this.capacityLimit, this.used * 2));
      slot = this.used++;
    }
    return slot;
  }

  private free(slot: number): void {
    this.index.remove(slot);
    this.values[slot] = undefined;
    if (this.weights !== undefined) {
      this.totalSize -= this.weights[slot]!;
      this.weights[slot] = 0;
    }
    this.links.next[slot] = this.freeHead;
    this.freeHead = slot;
  }
}
