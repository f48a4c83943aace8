/** Key -> slot for {@link SlotMap}: keys kept as scope and part (see `stores/key-parts.ts`). */

import { hashPart, hashScope, ownPart, partStart, partText, splitPart, type KeyPartKind } from '../../key-parts.js';

/**
 * The entries of one scope and kind of key part: the part -> slot. A store hands it out
 * (`MemoryStore.keyScope`) so a caller addresses an entry by its part without building the key.
 */
export class PartIndex {
  /** Part -> slot. */
  readonly slots = new Map<string | number, number>();

  constructor(
    /** What every key of this index starts with. */
    readonly scope: string,
    readonly kind: KeyPartKind,
    /** Its number in the {@link KeyIndex} (kept by slot). */
    readonly id: number,
    /** The start of its parts' hashes. */
    readonly hash: number,
  ) {}

  /** The full key of `part`. */
  keyOf(part: string | number): string {
    return this.scope + partText(this.kind, part);
  }
}

/**
 * Which slot holds which key, without a string per entry: every key is split into a scope
 * (`prefix:namespace:`), a kind and a part, and each scope and kind has a {@link PartIndex}
 * from part to slot. By slot it keeps the part and the index's number, so the key is rebuilt
 * only when one is asked for (an eviction). A lone string argument's part is the caller's own
 * string, so an entry costs its map entry and 12 bytes by slot (docs/internals/memory.md).
 */
export class KeyIndex {
  private readonly byScope = new Map<string, PartIndex>();
  private readonly indexes: PartIndex[] = [];
  /** Slot -> part (undefined while free). */
  private parts: (string | number | undefined)[];
  /** Slot -> number of its PartIndex. */
  private owners: Int32Array;
  /** Entries held. */
  private count = 0;
  /** The index and part {@link locate} found (reused: no allocation per lookup). */
  private readonly found: { index: PartIndex | undefined; kind: KeyPartKind; part: string | number } = { index: undefined, kind: 0, part: '' };
  /** The last index a key was located in (most keys in a row share one). */
  private last: PartIndex | undefined;

  constructor(capacity: number) {
    this.parts = new Array<string | number | undefined>(capacity).fill(undefined);
    this.owners = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The index of a scope and kind (made at the first call). */
  partIndex(scope: string, kind: KeyPartKind): PartIndex {
    const name = kind + scope;
    let index = this.byScope.get(name);
    if (index === undefined) {
      index = new PartIndex(scope, kind, this.indexes.length, hashScope(scope, kind));
      this.indexes.push(index);
      this.byScope.set(name, index);
    }
    return index;
  }

  /** The slot of `key`, or -1; {@link add} after a miss files a new slot under it. */
  slotOf(key: string): number {
    const index = this.locate(key);
    const slot = index.slots.get(this.found.part);
    return slot === undefined ? -1 : slot;
  }

  /** The hash of `key` (the same as {@link hashAt} of its slot). */
  hashOf(key: string): number {
    const index = this.locate(key);
    return hashPart(index.hash, this.found.part);
  }

  /** Files `slot` under the key the last {@link slotOf} missed. */
  add(slot: number): void {
    this.addPart(this.found.index!, ownPart(this.found.part), slot);
  }

  /** Files `slot` under `part` of `index`. */
  addPart(index: PartIndex, part: string | number, slot: number): void {
    index.slots.set(part, slot);
    this.parts[slot] = part;
    this.owners[slot] = index.id;
    this.count++;
  }

  /** Forgets the key of `slot`. */
  remove(slot: number): void {
    this.indexes[this.owners[slot]!]!.slots.delete(this.parts[slot]!);
    this.parts[slot] = undefined;
    this.count--;
  }

  /** The key of a slot in use. */
  keyAt(slot: number): string {
    return this.indexes[this.owners[slot]!]!.keyOf(this.parts[slot]!);
  }

  /** The hash of the key of a slot in use (`key-parts.ts`'s, the same for every way of addressing it). */
  hashAt(slot: number): number {
    return hashPart(this.indexes[this.owners[slot]!]!.hash, this.parts[slot]!);
  }

  /** Room for `capacity` slots. */
  grow(capacity: number, used: number): void {
    const parts = new Array<string | number | undefined>(capacity).fill(undefined);
    for (let i = 0; i < used; i++) parts[i] = this.parts[i];
    this.parts = parts;
    const owners = new Int32Array(capacity);
    owners.set(this.owners.subarray(0, Math.min(used, capacity)));
    this.owners = owners;
  }

  clear(): void {
    for (const index of this.indexes) index.slots.clear();
    this.parts.fill(undefined);
    this.count = 0;
  }

  /** The index `key` belongs in, its part in `found`. */
  private locate(key: string): PartIndex {
    const start = partStart(key);
    const rest = start === 0 ? key : key.slice(start);
    splitPart(rest, this.found);
    const kind = this.found.kind;
    const last = this.last;
    let index: PartIndex;
    if (last !== undefined && last.kind === kind && last.scope.length === start && key.startsWith(last.scope)) index = last;
    else index = this.last = this.partIndex(start === 0 ? '' : key.slice(0, start), kind);
    this.found.index = index;
    return index;
  }
}
