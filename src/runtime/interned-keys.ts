/**
 * Full keys remembered for recent raw keys (a lone argument, or a key function's result), so a
 * repeated key costs one lookup of a short string instead of an encoding, a concatenation and
 * the hashing of a fresh ~40-character string on every hit.
 *
 * Bounded and adaptive: when it holds `limit` keys it starts over if it served at least as
 * many hits as it holds (the working set fits); otherwise it empties and rests for
 * `16 * limit` calls, building keys directly, so a working set larger than the limit costs
 * almost nothing extra (clearing and refilling a map on every `limit` misses would cost more
 * than it saves).
 */
export class InternedKeys {
  private readonly keys = new Map<unknown, string>();
  private hits = 0;
  private resting = 0;

  constructor(private readonly limit: number) {}

  /** The full key for `raw`: remembered, or made by `build(raw)` (and remembered). */
  get<R>(raw: R, build: (raw: R) => string): string {
    if (this.resting > 0) {
      this.resting--;
      return build(raw);
    }
    const known = this.keys.get(raw);
    if (known !== undefined) {
      this.hits++;
      return known;
    }
    const key = build(raw);
    if (this.keys.size >= this.limit) {
      this.keys.clear();
      const earned = this.hits >= this.limit;
      this.hits = 0;
      if (!earned) {
        this.resting = 16 * this.limit;
        return key;
      }
    }
    this.keys.set(raw, key);
    return key;
  }
}
