import { RecentMap } from '../../src/stores/structures/recent-map.js';

describe('RecentMap', () => {
  it('remembers the last value of each key, for at least the last `capacity` keys and at most twice that', () => {
    const recent = new RecentMap<string>(3);
    recent.set('a', '1-0');
    recent.set('a', '2-0');
    expect(recent.get('a')).toBe('2-0');
    for (const key of ['b', 'c', 'd', 'e']) recent.set(key, `${key}-0`);
    // the last 3 keys written are always there
    for (const key of ['c', 'd', 'e']) expect(recent.get(key)).toBe(`${key}-0`);
    for (const key of ['f', 'g', 'h', 'i', 'j']) recent.set(key, `${key}-0`);
    expect(recent.get('a')).toBeUndefined();
    expect(recent.get('e')).toBeUndefined();
    for (const key of ['h', 'i', 'j']) expect(recent.get(key)).toBe(`${key}-0`);
    expect(recent.get('nope')).toBeUndefined();
  });
});
