import { MemoryStore } from '../../src/index.js';
import { UnconfirmedInvalidations } from '../../src/runtime/unconfirmed-invalidations.js';
import { chaosStore } from 'cachekit/testing';

/**
 * Invalidations a store failed to take are retried until it takes them; past the list's limit
 * they are folded (keys into their namespaces, then namespaces into the whole store), never
 * dropped: until a retry gets through, no read of an invalidated key is served from the cache.
 */
describe('UnconfirmedInvalidations past its limit', () => {
  const ns = (n: string) => `app#n:${n}`;
  const key = (n: string, k: string) => `app:${n}:${k}`;
  let lists: UnconfirmedInvalidations[] = [];
  const make = (limit: number, errors: unknown[]) => {
    const list = new UnconfirmedInvalidations(60_000, (e) => errors.push(e), 60_000, limit);
    lists.push(list);
    return list;
  };
  afterEach(() => {
    for (const l of lists) l.stop();
    lists = [];
  });

  it('folds waiting keys into their namespaces: every one stays bypassed, and the retry invalidates the namespaces', async () => {
    const memory = new MemoryStore();
    const store = chaosStore(memory);
    const [a0, b0] = await memory.readVersions([ns('a'), ns('b')]);
    await memory.write(key('a', '1'), { v: 'old a1', g: 1, n: a0 }, 0);
    await memory.write(key('b', '2'), { v: 'old b2', g: 2, n: b0 }, 0);
    await memory.write(key('c', '3'), { v: 'c3', g: 3, n: 0 }, 0);
    const errors: unknown[] = [];
    const list = make(4, errors);
    store.mode('throw');
    list.add(store, [key('a', '1'), key('a', '2'), key('b', '2')], []);
    expect(errors).toEqual([]);
    list.add(store, [key('a', '3'), key('b', '#hashed')], []); // 5 > 4: folded
    for (const [n, k] of [['a', '1'], ['a', '2'], ['a', '3'], ['b', '2'], ['a', 'never-added']] as const) {
      expect(list.blocks(key(n, k), [ns(n)])).toBe(true);
    }
    expect(list.size).toBe(2);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('5 keys are now waiting as the invalidation of their namespaces');
    expect(list.blocks(key('c', '3'), [ns('c')])).toBe(false);
    await list.retry();
    expect(list.size).toBe(2); // the store still fails: nothing forgotten
    store.mode('ok');
    await list.retry();
    expect(list.size).toBe(0);
    expect(list.blocks(key('a', '1'), [ns('a')])).toBe(false);
    expect(await memory.readVersions([ns('a'), ns('b'), ns('c')])).toEqual([a0! + 1, b0! + 1, 0]);
    expect((await memory.read(key('c', '3'), [])).entry).toStrictEqual({ v: 'c3', g: 3, n: 0 });
  });

  it('falls back to bypassing the whole store when the namespaces and tags alone exceed the limit, until a clear() gets through', async () => {
    const memory = new MemoryStore();
    const store = chaosStore(memory);
    await memory.write(key('a', '1'), { v: 'old', g: 1, n: 0 }, 0);
    const errors: unknown[] = [];
    const list = make(2, errors);
    store.mode('throw');
    list.add(store, [key('a', '1')], [ns('x'), 'app#t:t1']);
    expect(list.blocks(key('a', '1'), [ns('a')])).toBe(true);
    expect(list.blocks(key('z', 'anything'), [ns('z')])).toBe(true);
    expect(list.size).toBe(1);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('every read bypasses the cache until the store takes a clear()');
    await list.retry();
    expect(list.size).toBe(1);
    store.mode('ok');
    await list.retry();
    expect(list.size).toBe(0);
    expect(list.blocks(key('z', 'anything'), [ns('z')])).toBe(false);
    expect((await memory.read(key('a', '1'), [])).entry).toStrictEqual({ g: expect.any(Number), d: 1 }); // cleared: no value
  });
});
