import 'reflect-metadata';
import { Cacheable, configureCache, MemoryStore } from '../../src/index.js';

/** A clock the test moves by hand. */
class ManualClock {
  time = 1_000_000;
  now() {
    return this.time;
  }
}

describe('MemoryStore limits', () => {
  it('expires entries after their TTL on the injected clock (no sleeping)', async () => {
    const clock = new ManualClock();
    configureCache({ store: new MemoryStore({ clock }) });
    let calls = 0;
    class Svc {
      @Cacheable({ ttl: '30s' })
      async get() {
        return ++calls;
      }
    }
    const s = new Svc();
    expect(await s.get()).toBe(1);
    clock.time += 29_999;
    expect(await s.get()).toBe(1);
    clock.time += 1;
    expect(await s.get()).toBe(2);
  });

  it('keeps entries with ttl 0 until evicted', async () => {
    const clock = new ManualClock();
    const store = new MemoryStore({ clock });
    await store.write('k', { v: 'x', g: 1 }, 0);
    clock.time += 10 * 365 * 86_400_000;
    expect((await store.read('k', [])).entry).toEqual({ v: 'x', g: 1 });
  });

  it('stretches TTLs by at most ttlJitter', async () => {
    const clock = new ManualClock();
    configureCache({ store: new MemoryStore({ clock }) });
    let calls = 0;
    class Svc {
      @Cacheable({ ttl: 1000, ttlJitter: 0.5 })
      async get(_k: number) {
        return ++calls;
      }
    }
    const s = new Svc();
    for (let k = 0; k < 50; k++) await s.get(k);
    clock.time += 999;
    for (let k = 0; k < 50; k++) await s.get(k);
    expect(calls).toBe(50);
    clock.time += 501;
    for (let k = 0; k < 50; k++) await s.get(k);
    expect(calls).toBe(100);
  });

  it('bounds the entry count, evicting the least recently used', async () => {
    const store = new MemoryStore({ maxEntries: 2 });
    const evicted: string[] = [];
    store.attach({ onEvict: (k) => evicted.push(k) });
    await store.write('a', { v: 1, g: 1 }, 0);
    await store.write('b', { v: 2, g: 2 }, 0);
    await store.read('a', []);
    await store.write('c', { v: 3, g: 3 }, 0);
    expect(evicted).toEqual(['b']);
    expect(store.size).toBe(2);
  });

  it('bounds the total bytes', async () => {
    const store = new MemoryStore({ maxEntries: 1000, maxBytes: 10_000 });
    for (let i = 0; i < 100; i++) await store.write(`k${i}`, { v: 'x'.repeat(500), g: i }, 0);
    // each entry is about 1,000 bytes (500 UTF-16 characters + overhead): at most 10 fit
    expect(store.size).toBeLessThanOrEqual(10);
    expect(store.size).toBeGreaterThanOrEqual(8);
    expect((await store.read('k99', [])).entry?.v).toBe('x'.repeat(500));
    expect((await store.read('k0', [])).entry).toStrictEqual({ g: expect.any(Number), d: 1 }); // evicted: a tombstone of its bucket
  });
});
