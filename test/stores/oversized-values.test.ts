import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Cacheable, MemoryStore, RedisStore, TieredStore, WriteThrough, configureCache, errors, type CacheStore } from '../../src/index.js';
import { redisUrl } from '../helpers/redis.js';

/**
 * A value too big for its store is not cached: the call still returns it, the key holds no
 * older value, one ValueTooLargeError is reported and every one counted.
 */
describe('values too big for the store', () => {
  let raw: Redis;
  const opened: CacheStore[] = [];
  beforeEach(() => {
    raw = new Redis(redisUrl());
  });
  afterEach(async () => {
    configureCache();
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await raw.quit();
  });

  function catalogOn(store: CacheStore, prefix: string) {
    const reported: unknown[] = [];
    configureCache({ store, prefix, onError: (error) => reported.push(error) });
    const db = new Map<string, string>();
    let loads = 0;
    class Catalog {
      @Cacheable({ namespace: 'c', key: (id: string) => id })
      async get(id: string) {
        loads++;
        return db.get(id) ?? '';
      }
      @WriteThrough({ namespace: 'c', key: (id: string) => id })
      async set(id: string, value: string) {
        db.set(id, value);
        return value;
      }
    }
    return { catalog: new Catalog(), db, reported, loads: () => loads };
  }

  const stores: Array<[string, (limit: number) => CacheStore, (s: CacheStore) => number]> = [
    ['RedisStore (maxValueBytes)', (limit) => new RedisStore({ connection: redisUrl(), maxValueBytes: limit }), (s) => (s as RedisStore).oversizedValues],
    [
      'TieredStore (its L2 maxValueBytes)',
      (limit) => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: redisUrl(), maxValueBytes: limit }), bus: false }),
      (s) => (s as TieredStore).l2.oversizedValues,
    ],
    ['MemoryStore (maxBytes)', (limit) => new MemoryStore({ maxBytes: limit }), (s) => (s as MemoryStore).oversizedValues],
  ];

  it.each(stores)('%s: a big result is returned and not cached, a write-through of one drops the older value, one warning', async (_name, make, oversized) => {
    const store = make(64 * 1024);
    opened.push(store);
    const prefix = `ov${randomBytes(3).toString('hex')}`;
    const { catalog, db, reported, loads } = catalogOn(store, prefix);
    const big = 'x'.repeat(100 * 1024);
    db.set('big', big);
    expect(await catalog.get('big')).toBe(big);
    expect(await catalog.get('big')).toBe(big);
    expect(loads()).toBe(2); // not cached
    if (!(store instanceof MemoryStore)) expect(await raw.exists(`${prefix}:c:big`)).toBe(0);
    db.set('small', 'small v1');
    expect(await catalog.get('small')).toBe('small v1');
    expect(await catalog.get('small')).toBe('small v1');
    expect(loads()).toBe(3); // a small one is
    expect(await catalog.set('small', big)).toBe(big); // write-through of a big value
    expect(await catalog.get('small')).toBe(big); // never the older 'small v1'
    expect(loads()).toBe(4);
    expect(oversized(store)).toBe(4);
    expect(reported).toHaveLength(1);
    expect(reported[0]).toBeInstanceOf(errors.ValueTooLargeError);
    expect((reported[0] as Error).message).toMatch(/is bigger than max(ValueBytes|Bytes) \(65536\) and was not cached/);
  });

  it('RedisStore: a 20 MB value is not sent at all under the default maxValueBytes (8 MiB); the call returns it at once', async () => {
    const store = new RedisStore({ connection: redisUrl() });
    opened.push(store);
    expect(store.maxValueBytes).toBe(8 * 1024 * 1024);
    const prefix = `ov${randomBytes(3).toString('hex')}`;
    const { catalog, db, reported } = catalogOn(store, prefix);
    const huge = 'y'.repeat(20 * 1024 * 1024);
    db.set('huge', huge);
    expect((await catalog.get('huge')).length).toBe(huge.length);
    expect(await raw.exists(`${prefix}:c:huge`)).toBe(0);
    expect(reported.map((e) => (e as { code?: string }).code)).toEqual(['E_VALUE_TOO_LARGE']); // no timeout
    expect(store.oversizedValues).toBe(1);
    expect(store.circuit).toBe('closed');
  });

  it('RedisStore and TieredStore: a plain write of a big value stores a tombstone of its generation; L1 keeps nothing', async () => {
    const l2 = new RedisStore({ connection: redisUrl(), maxValueBytes: 1024 });
    const tiered = new TieredStore({ l1: new MemoryStore(), l2, bus: false });
    opened.push(tiered);
    const key = `ov${randomBytes(3).toString('hex')}:c:w`;
    await tiered.write(key, { v: 'small', g: 1 }, 60_000);
    expect(tiered.readSync(key, [])?.entry).toStrictEqual({ v: 'small', g: 1 });
    await tiered.write(key, { v: 'z'.repeat(5000), g: 2 }, 60_000);
    expect(tiered.readSync(key, [])).toBeUndefined();
    expect((await l2.read(key, [])).entry).toStrictEqual({ g: 2, d: 1 });
    expect(await raw.pttl(key)).toBeGreaterThan(0); // with the TTL of the write
    expect(l2.oversizedValues).toBe(1);
  });

  it('refuses a maxValueBytes that is not a positive integer, naming it', () => {
    for (const bad of [0, -1, 1.5, '8mb']) {
      expect(() => new RedisStore({ connection: { lazyConnect: true }, maxValueBytes: bad } as never)).toThrow(
        new RegExp(`^RedisStore: maxValueBytes must be an integer number of bytes >= 1 \\(or Infinity\\); got `),
      );
    }
  });
});
