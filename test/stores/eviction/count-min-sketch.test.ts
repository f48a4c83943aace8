import { CountMinSketch, hashKey } from '../../../src/stores/memory/eviction/count-min-sketch.js';

describe('CountMinSketch (4-bit counters, aging)', () => {
  it('counts occurrences of each key and 0 for an unseen key', () => {
    const sketch = new CountMinSketch(1024);
    for (let i = 0; i < 3; i++) sketch.increment(hashKey('a'));
    sketch.increment(hashKey('b'));
    expect(sketch.frequency(hashKey('a'))).toBe(3);
    expect(sketch.frequency(hashKey('b'))).toBe(1);
    expect(sketch.frequency(hashKey('never'))).toBe(0);
    expect(sketch.sampled).toBe(4);
  });

  it('saturates at 15 (4-bit counters); saturated increments are not sampled', () => {
    const sketch = new CountMinSketch(1024);
    for (let i = 0; i < 40; i++) sketch.increment(hashKey('hot'));
    expect(sketch.frequency(hashKey('hot'))).toBe(15);
    expect(sketch.sampled).toBe(15);
  });

  it('halve() halves every counter, rounding down', () => {
    const sketch = new CountMinSketch(1024);
    for (let i = 0; i < 5; i++) sketch.increment(hashKey('a'));
    for (let i = 0; i < 15; i++) sketch.increment(hashKey('b'));
    sketch.increment(hashKey('c'));
    sketch.halve();
    expect(sketch.frequency(hashKey('a'))).toBe(2);
    expect(sketch.frequency(hashKey('b'))).toBe(7);
    expect(sketch.frequency(hashKey('c'))).toBe(0);
    // 21 samples; a's 4 odd counters, b's 4 and c's 4 give 12 odd counters: (21 - 12/4) / 2 = 9.
    expect(sketch.sampled).toBe(9);
  });

  it('ages by itself: every counter is halved after 10 x capacity sampled increments', () => {
    const sketch = new CountMinSketch(16);
    expect(sketch.resetPeriod).toBe(160);
    for (let i = 0; i < 15; i++) sketch.increment(hashKey('hot'));
    let fresh = 0;
    while (sketch.sampled < sketch.resetPeriod - 1) sketch.increment(hashKey(`k${fresh++}`));
    expect(sketch.frequency(hashKey('hot'))).toBe(15);
    sketch.increment(hashKey(`k${fresh}`));
    expect(sketch.frequency(hashKey('hot'))).toBe(7);
    expect(sketch.sampled).toBeLessThanOrEqual(80);
  });

  it('ensureCapacity grows the table (forgetting counts) and never shrinks it', () => {
    const sketch = new CountMinSketch(100);
    expect(sketch.width).toBe(100);
    sketch.increment(hashKey('a'));
    sketch.ensureCapacity(50);
    expect(sketch.width).toBe(100);
    expect(sketch.frequency(hashKey('a'))).toBe(1);
    sketch.ensureCapacity(1000);
    expect(sketch.width).toBe(1000);
    expect(sketch.resetPeriod).toBe(10_000);
    expect(sketch.frequency(hashKey('a'))).toBe(0);
  });

  it('clear forgets every count', () => {
    const sketch = new CountMinSketch(64);
    sketch.increment(hashKey('a'));
    sketch.clear();
    expect(sketch.frequency(hashKey('a'))).toBe(0);
    expect(sketch.sampled).toBe(0);
  });

  it('hashKey is a deterministic 32-bit hash', () => {
    expect(hashKey('')).toBe(0x811c9dc5 | 0);
    expect(hashKey('a')).toBe(hashKey('a'));
    expect(hashKey('a')).not.toBe(hashKey('b'));
    expect(Number.isInteger(hashKey('some:long:key'))).toBe(true);
  });
});
