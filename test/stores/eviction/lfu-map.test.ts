import { LfuMap } from '../../../src/stores/memory/eviction/lfu-map.js';

function lfu(maxEntries: number, maxSize = Infinity) {
  const evicted: string[] = [];
  const map = new LfuMap<string>({ maxEntries, maxSize, onEvict: (key) => evicted.push(key) });
  const keys = (...candidates: string[]) => candidates.filter((k) => map.get(k) !== undefined);
  return { map, evicted, keys };
}

describe('LfuMap (least frequently used, ties by recency)', () => {
  it('evicts the least frequently used entry', () => {
    const { map, evicted } = lfu(3);
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    map.set('c', 'C', 1);
    map.get('a');
    map.get('a');
    map.get('c'); // a: 3, b: 1, c: 2
    map.set('d', 'D', 1);
    expect(evicted).toEqual(['b']);
    expect(map.size).toBe(3);
    expect(map.get('a')).toBe('A');
    expect(map.get('c')).toBe('C');
    expect(map.get('d')).toBe('D');
    expect(map.get('b')).toBeUndefined();
  });

  it('breaks ties in frequency by recency (least recently used first)', () => {
    const { map, evicted } = lfu(3);
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    map.set('c', 'C', 1);
    map.set('d', 'D', 1); // all at count 1: a is the least recent
    expect(evicted).toEqual(['a']);
    map.get('b');
    map.get('c');
    map.get('d');
    map.get('c'); // b, d at count 2 (b older), c at 3
    map.set('e', 'E', 1);
    expect(evicted).toEqual(['a', 'b']);
    map.set('f', 'F', 1); // e is alone at count 1
    expect(evicted).toEqual(['a', 'b', 'e']);
  });

  it('counts an overwrite as an access and does not report it as an eviction', () => {
    const { map, evicted } = lfu(3);
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    map.set('c', 'C', 1);
    map.set('a', 'A2', 1); // a: 2
    expect(evicted).toEqual([]);
    expect(map.size).toBe(3);
    map.set('d', 'D', 1);
    expect(evicted).toEqual(['b']);
    expect(map.get('a')).toBe('A2');
  });

  it('evicts by total size, as many entries as needed, never the entry being written', () => {
    const { map, evicted } = lfu(100, 10);
    map.set('a', 'A', 4);
    map.set('b', 'B', 4);
    map.set('c', 'C', 4); // 12 > 10: a goes
    expect(evicted).toEqual(['a']);
    map.set('d', 'D', 9); // needs 9 of 10: b and c go
    expect(evicted).toEqual(['a', 'b', 'c']);
    expect(map.size).toBe(1);
    map.set('e', 'E', 1);
    map.get('e');
    map.get('e'); // e: 3, d: 1
    map.set('d', 'D2', 10); // d grows to 10 (count 2, the lowest): e goes, never d itself
    expect(evicted).toEqual(['a', 'b', 'c', 'e']);
    expect(map.get('d')).toBe('D2');
    expect(map.size).toBe(1);
  });

  it('refuses an entry larger than maxSize and drops the old value under its key', () => {
    const { map, evicted } = lfu(10, 10);
    map.set('a', 'A', 3);
    map.set('big', 'B', 11);
    expect(map.get('big')).toBeUndefined();
    map.set('a', 'A2', 11);
    expect(map.get('a')).toBeUndefined();
    expect(map.size).toBe(0);
    expect(evicted).toEqual([]);
  });

  it('ignores sizes when maxSize is Infinity', () => {
    const { map, evicted } = lfu(2);
    map.set('a', 'A', 1e9);
    map.set('b', 'B', 1e9);
    expect(map.size).toBe(2);
    expect(evicted).toEqual([]);
  });

  it('delete removes an entry (and its count) without an eviction callback; it frees room', () => {
    const { map, evicted, keys } = lfu(2, 10);
    map.set('a', 'A', 5);
    map.get('a');
    map.get('a');
    map.set('b', 'B', 5);
    expect(map.delete('a')).toBe(true);
    expect(map.delete('a')).toBe(false);
    expect(map.size).toBe(1);
    map.set('c', 'C', 5); // fits: a's 5 were freed
    expect(evicted).toEqual([]);
    map.get('c'); // c: 2, b: 1
    map.set('a', 'A', 1); // a starts again at count 1; b goes
    expect(evicted).toEqual(['b']);
    map.set('d', 'D', 1); // a (1) is below c (2): a goes, its earlier 3 accesses forgotten
    expect(evicted).toEqual(['b', 'a']);
    expect(keys('a', 'b', 'c', 'd')).toEqual(['c', 'd']);
  });

  it('clear removes everything without callbacks and the map works afterwards', () => {
    const { map, evicted } = lfu(2);
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    map.clear();
    expect(map.size).toBe(0);
    expect(map.get('a')).toBeUndefined();
    map.set('c', 'C', 1);
    map.set('d', 'D', 1);
    map.set('e', 'E', 1);
    expect(evicted).toEqual(['c']);
  });

  it('calls onEvict once the map is consistent again', () => {
    const seen: [string, number, string | undefined][] = [];
    const map: LfuMap<string> = new LfuMap<string>({
      maxEntries: 1,
      maxSize: Infinity,
      onEvict: (key) => seen.push([key, map.size, map.get('b')]),
    });
    map.set('a', 'A', 1);
    map.set('b', 'B', 1);
    expect(seen).toEqual([['a', 1, 'B']]);
  });
});
