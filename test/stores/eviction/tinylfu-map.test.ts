import { TinyLfuMap } from '../../../src/stores/memory/eviction/tinylfu-map.js';

/**
 * With maxEntries 10 the regions are: window 1 entry, main 9 (protected at most 7, probation
 * the rest). A key's frequency counts its sets and its get hits.
 */
function tinyLfu(maxEntries: number, maxSize = Infinity) {
  const evicted: string[] = [];
  const map = new TinyLfuMap<string>({ maxEntries, maxSize, onEvict: (key) => evicted.push(key) });
  const fill = (...keys: string[]) => keys.forEach((k) => map.set(k, k.toUpperCase(), 1));
  const present = (...candidates: string[]) => candidates.filter((k) => map.get(k) !== undefined);
  return { map, evicted, fill, present };
}

const K = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `k${from + i}`);

describe('TinyLfuMap (W-TinyLFU: window LRU, segmented main, count-min admission)', () => {
  it('fills up to maxEntries without evicting', () => {
    const { map, evicted, fill } = tinyLfu(10);
    fill(...K(0, 9));
    expect(map.size).toBe(10);
    expect(evicted).toEqual([]);
  });

  it("refuses a candidate no more frequent than probation's least recent entry", () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9)); // window [k9], probation [k0..k8]
    map.set('n', 'N', 1); // k9 leaves the window, ties with k0 (1 vs 1): k9 is evicted
    expect(evicted).toEqual(['k9']);
    expect(map.size).toBe(10);
    expect(present('k9', 'n', 'k0')).toEqual(['n', 'k0']);
  });

  it('admits a candidate more frequent than the victim, evicting the victim', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9));
    map.set('hot', 'HOT', 1); // k9 refused
    map.get('hot');
    map.get('hot'); // hot: 3
    map.set('x', 'X', 1); // hot leaves the window and beats k0 (1)
    expect(evicted).toEqual(['k9', 'k0']);
    expect(present('hot', 'k0', 'x', 'k1')).toEqual(['hot', 'x', 'k1']);
  });

  it('remembers the frequency of keys it no longer holds (unlike in-cache LFU)', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9));
    map.set('z', 'Z', 1); // k9 refused
    map.set('w', 'W', 1); // z refused (1 vs 1)
    map.set('z', 'Z', 1); // w refused; z is back in the window with frequency 2
    map.set('v', 'V', 1); // z (2) beats k0 (1)
    expect(evicted).toEqual(['k9', 'z', 'w', 'k0']);
    expect(present('z', 'v', 'k0')).toEqual(['z', 'v']);
  });

  it('promotes a probation hit to protected, where it is not a victim', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 8)); // window [k8], probation [k0..k7]
    map.get('k0'); // k0 -> protected
    map.set('k9', 'K9', 1); // k8 -> probation; 10 entries
    map.get('k9'); // k9: 2
    map.set('n', 'N', 1); // candidate k9 (2) vs probation's least recent k1 (1), not k0
    expect(evicted).toEqual(['k1']);
    expect(present('k0', 'k1', 'k9', 'n')).toEqual(['k0', 'k9', 'n']);
  });

  it('demotes the least recent protected entry to probation when protected overflows', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9)); // window [k9], probation [k0..k8]
    for (const k of K(0, 7)) map.get(k); // 8 promotions, protected holds 7: k0 is demoted
    map.set('c', 'C', 1); // k9 (1) vs k8 (1): refused
    map.get('c'); // c: 2
    map.set('d', 'D', 1); // c (2) vs k8 (1): admitted
    map.get('d');
    map.get('d'); // d: 3
    map.set('e', 'E', 1); // d (3) vs k0 (2), now least recent in probation: admitted
    expect(evicted).toEqual(['k9', 'k8', 'k0']);
    expect(map.size).toBe(10);
    expect(present(...K(0, 9), 'c', 'd', 'e')).toEqual([...K(1, 7), 'c', 'd', 'e']);
  });

  it('honours maxSize: the window and main take their share of it, as many victims go as needed', () => {
    // maxSize 20: the window may hold 1 unit, so every entry of size 5 goes straight to probation.
    const { map, evicted } = tinyLfu(100, 20);
    map.set('a', 'A', 5);
    map.set('b', 'B', 5);
    map.set('c', 'C', 5);
    map.set('d', 'D', 5);
    expect(evicted).toEqual([]);
    map.set('e', 'E', 5); // e (1) vs a (1): refused
    expect(evicted).toEqual(['e']);
    map.set('e', 'E', 5); // e (2) vs a (1): admitted
    expect(evicted).toEqual(['e', 'a']);
    map.set('f', 'F', 12); // refused
    map.set('f', 'F', 12); // f (2) beats b (1); then c and d go too to fit 12
    expect(evicted).toEqual(['e', 'a', 'f', 'b', 'c', 'd']);
    expect(map.size).toBe(2);
    expect(map.get('e')).toBe('E');
    expect(map.get('f')).toBe('F');
  });

  it('refuses an entry larger than maxSize and drops the old value under its key', () => {
    const { map, evicted } = tinyLfu(10, 10);
    map.set('a', 'A', 3);
    map.set('big', 'B', 11);
    expect(map.get('big')).toBeUndefined();
    map.set('a', 'A2', 11);
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
    expect(evicted).toEqual([]);
  });

  it('counts an overwrite as an access (a probation entry is promoted) and reports no eviction', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9));
    map.set('k0', 'new', 1); // k0: 2, protected
    expect(evicted).toEqual([]);
    map.set('n', 'N', 1); // k9 vs k1 (k0 is protected): refused
    expect(evicted).toEqual(['k9']);
    expect(map.get('k0')).toBe('new');
    expect(present('k0', 'k1', 'n')).toEqual(['k0', 'k1', 'n']);
  });

  it('delete removes from any region without an eviction callback and frees room', () => {
    const { map, evicted, fill } = tinyLfu(10);
    fill(...K(0, 9));
    map.get('k0'); // protected
    expect(map.delete('k0')).toBe(true); // protected
    expect(map.delete('k9')).toBe(true); // window
    expect(map.delete('k5')).toBe(true); // probation
    expect(map.delete('k5')).toBe(false);
    expect(map.size).toBe(7);
    fill('x', 'y', 'z');
    expect(map.size).toBe(10);
    expect(evicted).toEqual([]);
  });

  it('clear removes everything without callbacks and forgets the frequency history', () => {
    const { map, evicted, fill, present } = tinyLfu(10);
    fill(...K(0, 9));
    map.set('z', 'Z', 1);
    for (let i = 0; i < 4; i++) map.get('z'); // z: 5
    map.clear();
    expect(map.size).toBe(0);
    evicted.length = 0;
    fill(...K(0, 9));
    map.set('z', 'Z', 1); // k9 refused
    map.set('n', 'N', 1); // z is at 1 again: refused
    expect(evicted).toEqual(['k9', 'z']);
    expect(present('z', 'n')).toEqual(['n']);
  });

  it('works with a single entry', () => {
    const { map, evicted } = tinyLfu(1);
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    expect(map.get('b')).toBe('B');
    map.set('c', 'C', 1);
    expect(evicted).toEqual(['a', 'b']);
    expect(map.size).toBe(1);
    expect(map.get('c')).toBe('C');
  });

  it('calls onEvict once the map is consistent again', () => {
    const seen: [string, number, string | undefined][] = [];
    const map: TinyLfuMap<string> = new TinyLfuMap<string>({
      maxEntries: 1,
      maxSize: Infinity,
      onEvict: (key) => seen.push([key, map.size, map.get('b')]),
    });
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    expect(seen).toEqual([['a', 1, 'B']]);
  });
});
