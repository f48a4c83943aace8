/**
 * How a MemoryStore keeps the entries of its slots without an object per entry (see
 * docs/internals/memory.md): the common entry, `{ v, g }` or `{ v, g, n }` (a value, its
 * generation, its namespace version), is taken apart into the slot's value (held by the
 * eviction map) and numbers here; a read puts it back together as a new object equal to the
 * one written. Any other entry (tags, times, a tombstone, a queued write-behind value, or
 * anything unusual) is kept whole, as the very object written, so a field the runtime sets on
 * the entry it read (`b`, the grace backoff) is seen by the next read.
 */
import type { StoredEntry } from '../../cache-store.js';

/** Slots made room for before the first growth (the eviction map grows first; see {@link EntryColumns.ensure}). */
const INITIAL_CAPACITY = 16;
/** A narrow namespace version that stands for "no `n`". */
const NO_VERSION = 0xffff;
/** How far from the first expiry time the narrow expiry times reach, either way (ms; about 24.8 days). */
const EXPIRY_REACH = 2 ** 31;

/**
 * By slot: the entry's generation (NaN: the slot's value is the whole entry), its namespace
 * version and its expiry time, in typed arrays: numbers stored unboxed, where an object field
 * would box each double in a heap number of its own.
 *
 * Two columns start narrow and widen once, for good, on the first value that does not fit:
 * namespace versions (none at all while every entry's is 0, then 16-bit integers: a
 * MemoryStore's own counters start at 0 and count invalidations of the whole namespace; a tiered
 * L1 holds Redis's, which start at a random 2^51 or more, and widens at its first write), and
 * expiry times as 32-bit milliseconds from an epoch set by the first one (reaching about 24.8
 * days before and after it). 12 bytes a slot while every version is 0, 14 while narrow, 24 once
 * both are wide.
 */
export class EntryColumns {
  private generations = new Float64Array(INITIAL_CAPACITY);
  /**
   * Namespace versions while every one fits (NO_VERSION: none). Undefined until an entry has a
   * version other than 0 (while both are undefined, every common entry has `n: 0`), and once widened.
   */
  private narrowVersions: Uint16Array | undefined;
  /** Namespace versions once widened (NaN: none). */
  private wideVersions: Float64Array | undefined;
  /** Expiry times as `time - epoch` while every one fits (0: none); undefined once widened. */
  private narrowExpiries: Uint32Array | undefined = new Uint32Array(INITIAL_CAPACITY);
  /** Expiry times once widened (0: none). */
  private wideExpiries: Float64Array | undefined;
  /** What narrow expiry times count from (set by the first one). */
  private epoch = NaN;

  /** Makes room for slots below `capacity`. */
  ensure(capacity: number): void {
    if (capacity <= this.generations.length) return;
    this.generations = grown(this.generations, new Float64Array(capacity));
    if (this.narrowVersions !== undefined) this.narrowVersions = grown(this.narrowVersions, new Uint16Array(capacity));
    if (this.wideVersions !== undefined) this.wideVersions = grown(this.wideVersions, new Float64Array(capacity));
    if (this.narrowExpiries !== undefined) this.narrowExpiries = grown(this.narrowExpiries, new Uint32Array(capacity));
    if (this.wideExpiries !== undefined) this.wideExpiries = grown(this.wideExpiries, new Float64Array(capacity));
  }

  /**
   * Records the entry in `slot` (made room for with {@link ensure}): `n` is its
   * {@link commonVersion}; a common entry's value is `entry.v`, any other is the entry itself
   * (see {@link slotValue}). `expiresAt` is a clock time in ms, 0 for none.
   */
  write(slot: number, entry: StoredEntry, n: number | undefined, expiresAt: number): void {
    this.setExpiry(slot, expiresAt);
    if (n === undefined) {
      this.generations[slot] = NaN;
      return;
    }
    this.generations[slot] = entry.g;
    this.setVersion(slot, n);
  }

  /** The entry in `slot` whose value is `value`: a new `{ v, g[, n] }`, or the entry kept whole. */
  read(slot: number, value: unknown): StoredEntry {
    const g = this.generations[slot]!;
    if (g !== g) return value as StoredEntry;
    const narrow = this.narrowVersions;
    let n: number;
    if (narrow !== undefined) {
      n = narrow[slot]!;
      if (n === NO_VERSION) return { v: value, g };
    } else if (this.wideVersions !== undefined) {
      n = this.wideVersions[slot]!;
      if (n !== n) return { v: value, g };
    } else {
      n = 0;
    }
    return { v: value, g, n };
  }

  /** The generation of the entry in `slot` whose value is `value` (no object built). */
  generation(slot: number, value: unknown): number {
    const g = this.generations[slot]!;
    return g === g ? g : (value as StoredEntry).g;
  }

  /** The expiry time of `slot` (clock ms), 0 for none. */
  expiresAt(slot: number): number {
    const narrow = this.narrowExpiries;
    if (narrow === undefined) return this.wideExpiries![slot]!;
    const since = narrow[slot]!;
    return since === 0 ? 0 : this.epoch + since;
  }

  private setVersion(slot: number, n: number): void {
    let narrow = this.narrowVersions;
    if (narrow === undefined && this.wideVersions === undefined) {
      if (n === 0 && 1 / n > 0) return;
      // the first version other than 0: every slot so far reads as 0
      narrow = this.narrowVersions = new Uint16Array(this.generations.length);
    }
    if (narrow !== undefined) {
      if (n !== n) {
        narrow[slot] = NO_VERSION;
        return;
      }
      // an integer 0..0xfffe, and not -0 (it would read back as 0)
      if ((n & 0xffff) === n && n !== NO_VERSION && (n !== 0 || 1 / n > 0)) {
        narrow[slot] = n;
        return;
      }
      this.widenVersions();
    }
    this.wideVersions![slot] = n;
  }

  private setExpiry(slot: number, expiresAt: number): void {
    const narrow = this.narrowExpiries;
    if (narrow !== undefined) {
      if (expiresAt === 0) {
        narrow[slot] = 0;
        return;
      }
      if (this.epoch !== this.epoch && Number.isInteger(expiresAt)) this.epoch = expiresAt - EXPIRY_REACH;
      const since = expiresAt - this.epoch;
      if (since >= 1 && since <= 0xffffffff && Number.isInteger(since)) {
        narrow[slot] = since;
        return;
      }
      this.widenExpiries();
    }
    this.wideExpiries![slot] = expiresAt;
  }

  private widenVersions(): void {
    const narrow = this.narrowVersions!; // (set: setVersion makes it before widening)
    const wide = new Float64Array(narrow.length);
    for (let i = 0; i < narrow.length; i++) wide[i] = narrow[i] === NO_VERSION ? NaN : narrow[i]!;
    this.wideVersions = wide;
    this.narrowVersions = undefined;
  }

  private widenExpiries(): void {
    const narrow = this.narrowExpiries!;
    const wide = new Float64Array(narrow.length);
    for (let i = 0; i < narrow.length; i++) wide[i] = narrow[i] === 0 ? 0 : this.epoch + narrow[i]!;
    this.wideExpiries = wide;
    this.narrowExpiries = undefined;
  }
}

/** What a slot's value is for `entry` with its {@link commonVersion} `n`: its `v` for a common entry, else the entry itself. */
export function slotValue(entry: StoredEntry, n: number | undefined): unknown {
  return n === undefined ? entry : entry.v;
}

/**
 * The namespace version of a common entry, NaN for one without `n`, or undefined when the entry
 * is not common: exactly the own enumerable fields `v` and `g` (and `n`), numbers that are not
 * NaN, on a plain object. Only such an entry can be rebuilt equal to itself from its fields.
 */
export function commonVersion(entry: StoredEntry): number | undefined {
  const g = entry.g;
  if (typeof g !== 'number' || g !== g || Object.getPrototypeOf(entry) !== Object.prototype) return undefined;
  let fields = 0;
  for (const name in entry) {
    if (name !== 'v' && name !== 'g' && name !== 'n') return undefined;
    fields++;
  }
  if (!Object.hasOwn(entry, 'v') || !Object.hasOwn(entry, 'g')) return undefined;
  if (fields === 2) return NaN;
  const n = entry.n;
  return fields === 3 && typeof n === 'number' && n === n && Object.hasOwn(entry, 'n') ? n : undefined;
}

/** `into`, holding `column`'s values first. */
function grown<T extends { set(from: ArrayLike<number>): void }>(column: ArrayLike<number>, into: T): T {
  into.set(column);
  return into;
}
