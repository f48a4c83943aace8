/** Key -> slot for {@link SlotMap}: keys kept as scope and part (see `stores/key-parts.ts`). */

import { hashPart, hashScope, partStart, partText, splitPart, type KeyPartKind } from '../../key-parts.js';

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

/** The owner number of a slot filed under its whole key. */
const WHOLE = -1;

/**
 * Which slot holds which key. A key comes in two ways, and an entry is filed the way it first
 * came (each held key in exactly one place):
 * - **whole**: a full key string (`MemoryStore.read`, `write`, a TieredStore's L1, every decorator
 *   but a `@Cacheable` hit): filed under that string in one `Map`, as a plain map would;
 * - **by part** (`MemoryStore.keyScope`): split into a scope (`prefix:namespace:`), a kind and a
 *   part (`stores/key-parts.ts`), filed under the part in the {@link PartIndex} of its scope and
 *   kind. A lone argument's part is the caller's own string, so such an entry holds no key string
 *   at all (docs/internals/memory.md).
 *
 * A lookup by whole key finds an entry filed by part by splitting the key (only while some are);
 * a lookup by part finds an entry filed whole by building its key (only while some are), and
 * refiles it by part, so the entries `@Cacheable` reads settle where its hits look. By slot it
 * keeps the part or whole key and the number of its PartIndex, so a key is rebuilt only when one
 * is asked for (an eviction).
 */
export class KeyIndex {
  /** Entries filed under their whole key. */
  private readonly whole = new Map<string, number>();
  private readonly byScope = new Map<string, PartIndex>();
  private readonly indexes: PartIndex[] = [];
  /** Slot -> part, or whole key (undefined while free). */
  private parts: (string | number | undefined)[];
  /** Slot -> number of its PartIndex, or WHOLE. */
  private owners: Int32Array;
  /** Entries filed by part. */
  private byPart = 0;
  /** Where the part starts, and the part and kind, {@link locate} found (reused: no allocation per lookup). */
  private readonly found: { start: number; kind: KeyPartKind; part: string | number } = { start: 0, kind: 0, part: '' };
  /** The last index a key was located in (most keys in a row share one). */
  private last: PartIndex | undefined;

  constructor(capacity: number) {
    this.parts = new Array<string | number | undefined>(capacity).fill(undefined);
    this.owners = new Int32Array(capacity);
  }

  get size(): number {
    return this.whole.size + this.byPart;
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

  /** The slot of `key`, or -1. */
  slotOf(key: string): number {
    const slot = this.whole.get(key);
    if (slot !== undefined) return slot;
    if (this.byPart === 0) return -1;
    const index = this.locate(key);
    const found = index?.slots.get(this.found.part);
    return found === undefined ? -1 : found;
  }

  /** Whether `slot` holds `key` filed whole: a position handed out before, checked instead of a lookup. */
  holds(slot: number, key: string): boolean {
    return this.parts[slot] === key && this.owners[slot] === WHOLE;
  }

  /** The slot of `part` in `index`, or -1 (an entry filed whole under its key is refiled by part). */
  slotIn(index: PartIndex, part: string | number): number {
    const slot = index.slots.get(part);
    if (slot !== undefined) return slot;
    if (this.whole.size === 0) return -1;
    const key = index.keyOf(part);
    const whole = this.whole.get(key);
    if (whole === undefined) return -1;
    this.whole.delete(key);
    this.fileByPart(index, part, whole);
    return whole;
  }

  /** The hash of `key` (the same as {@link hashAt} of its slot, however it is filed). */
  hashOf(key: string): number {
    const index = this.locate(key);
    const { start, kind, part } = this.found;
    return hashPart(index?.hash ?? hashScope(key.slice(0, start), kind), part);
  }

  /** Files `slot` under `key`, which has none (see {@link slotOf}). */
  add(key: string, slot: number): void {
    this.whole.set(key, slot);
    this.parts[slot] = key;
    this.owners[slot] = WHOLE;
  }

  /** Files `slot` under `part` of `index`, which has none (see {@link slotIn}). */
  addPart(index: PartIndex, part: string | number, slot: number): void {
    this.fileByPart(index, part, slot);
  }

  /** Forgets the key of `slot`. */
  remove(slot: number): void {
    const owner = this.owners[slot]!;
    if (owner === WHOLE) {
      this.whole.delete(this.parts[slot] as string);
    } else {
      this.indexes[owner]!.slots.delete(this.parts[slot]!);
      this.byPart--;
    }
    this.parts[slot] = undefined;
  }

  /** The key of a slot in use. */
  keyAt(slot: number): string {
    const owner = this.owners[slot]!;
    return owner === WHOLE ? (this.parts[slot] as string) : this.indexes[owner]!.keyOf(this.parts[slot]!);
  }

  /** The hash of the key of a slot in use (`hashPart` of its scope and part, however it is filed). */
  hashAt(slot: number): number {
    const owner = this.owners[slot]!;
    return owner === WHOLE ? this.hashOf(this.parts[slot] as string) : hashPart(this.indexes[owner]!.hash, this.parts[slot]!);
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
    this.whole.clear();
    for (const index of this.indexes) index.slots.clear();
    this.parts.fill(undefined);
    this.byPart = 0;
  }

  private fileByPart(index: PartIndex, part: string | number, slot: number): void {
    index.slots.set(part, slot);
    this.parts[slot] = part;
    this.owners[slot] = index.id;
    this.byPart++;
  }

  /**
   * The index `key` belongs in, if it exists (none is made: a scope with no entry filed by part has
   * none), its part and kind in `found` (a string part may be a slice of `key`).
   */
  private locate(key: string): PartIndex | undefined {
    const start = (this.found.start = partStart(key));
    splitPart(start === 0 ? key : key.slice(start), this.found);
    const kind = this.found.kind;
    const last = this.last;
    if (last !== undefined && last.kind === kind && last.scope.length === start && key.startsWith(last.scope)) return last;
    const index = this.byScope.get(kind + key.slice(0, start));
    if (index !== undefined) this.last = index;
    return index;
  }
}
