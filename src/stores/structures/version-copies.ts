/**
 * Local copies of version counters (namespace and tag versions), bounded: one structure for
 * both owners of such copies, RedisStore's version mirror (kept exact by Redis's
 * announcements: `redis/version-mirror.ts`) and TieredStore's L1 (kept by the invalidation
 * bus: `tiered/tiered-store.ts`). The owner decides when a copy may be taken and when it must
 * go; this only holds them.
 *
 * A copy of one counter is held as a one-element array, so that a read of that one counter
 * (the common case: a namespace without tags) gets it without an allocation (shared: callers
 * never write into versions they are given).
 */
export class VersionCopies {
  /** Counter key -> its value, as a one-element array. */
  private readonly copies = new Map<string, readonly [number]>();

  /** @param max most counters held; copying one more starts over from none */
  constructor(private readonly max: number) {}

  /** How many counters are copied. */
  get size(): number {
    return this.copies.size;
  }

  /** The copied value of each counter. @returns undefined unless every one is copied */
  lookup(keys: readonly string[]): readonly number[] | undefined {
    if (keys.length === 1) return this.copies.get(keys[0]!);
    const values = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const copy = this.copies.get(keys[i]!);
      if (copy === undefined) return undefined;
      values[i] = copy[0];
    }
    return values;
  }

  /** Copies `values[i]` for each counter `keys[i]`. */
  set(keys: readonly string[], values: readonly number[]): void {
    for (let i = 0; i < keys.length; i++) this.setOne(keys[i]!, values[i]!);
  }

  /** Copies one counter's value. */
  setOne(key: string, value: number): void {
    if (this.copies.size >= this.max && !this.copies.has(key)) this.copies.clear();
    this.copies.set(key, [value]);
  }

  /** Drops the copies of `keys`. */
  delete(keys: readonly string[]): void {
    for (const key of keys) this.copies.delete(key);
  }

  /** Drops one counter's copy. */
  deleteOne(key: string): void {
    this.copies.delete(key);
  }

  /** Drops every copy. */
  clear(): void {
    this.copies.clear();
  }
}
