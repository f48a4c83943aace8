/**
 * A value for each recently set key (the write-behind flusher's last journal id per key, a
 * RedisStore's last bytes per key read), for at least the last `capacity` keys set (and at
 * most twice that). Two generations of maps: writes go to the young one;
 * when it is full it becomes the old one and the previous old one is dropped whole. Every
 * operation is O(1), with no iteration: evicting one oldest key at a time from a single Map is
 * slow in V8 once deletions pile up at its front.
 */
export class RecentMap<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  /** The value last set for `key`, if it is still remembered. */
  get(key: string): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  /** Remembers `value` for `key`. */
  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size >= this.capacity) {
      this.old = this.young;
      this.young = new Map();
    }
  }
}
