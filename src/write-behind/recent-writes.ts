/**
 * The journal id last written for each recently written key, for at least the last `capacity`
 * keys written (and at most twice that). Two generations of maps: writes go to the young one;
 * when it is full it becomes the old one and the previous old one is dropped whole. Every
 * operation is O(1), with no iteration: evicting one oldest key at a time from a single Map is
 * slow in V8 once deletions pile up at its front.
 */
export class RecentWrites {
  private young = new Map<string, string>();
  private old = new Map<string, string>();

  constructor(private readonly capacity: number) {}

  /** The id last written for `key`, if it is still remembered. */
  get(key: string): string | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  /** Remembers that `id` was written for `key`. */
  set(key: string, id: string): void {
    this.young.set(key, id);
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
