import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Cacheable, Invalidate, MemoryStore, RedisStore, TieredStore, configureCache, type CacheStore } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { until } from '../helpers/waiting.js';

/**
 * Namespace and tag versions that Redis loses: evicted under `maxmemory` with `allkeys-lru`
 * (on a redis-server of this test's own), or deleted. An entry written before an invalidation
 * must stay invalidated: a lost counter never reads as a value it had before.
 */
describe('a version counter Redis loses (eviction, DEL) never makes an invalidated entry fresh again', () => {
  let server: TestRedisServer;
  let raw: Redis;
  const opened: CacheStore[] = [];

  beforeAll(() => {
    server = startServer();
  });
  afterAll(() => server.kill());
  beforeEach(async () => {
    raw = new Redis({ port: server.port, host: '127.0.0.1' });
    await raw.flushall();
  });
  afterEach(async () => {
    configureCache();
    await Promise.all(opened.splice(0).map((s) => s.close()));
    await raw.config('SET', 'maxmemory', '0');
    await raw.config('SET', 'maxmemory-policy', 'noeviction');
    await raw.quit();
  });

  const connection = () => ({ port: server.port, host: '127.0.0.1' });
  const stores: Record<string, () => Promise<CacheStore>> = {
    'RedisStore (versions tracked)': async () => new RedisStore({ connection: connection() }),
    'RedisStore (trackVersions: false)': async () => new RedisStore({ connection: connection(), trackVersions: false }),
    TieredStore: async () => {
      const t = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: connection() }), bus: { channel: `vl-${randomBytes(4).toString('hex')}` } });
      await until(() => t.l1Active, 'the bus is subscribed');
      return t;
    },
  };

  /**
   * Makes Redis evict `victim` for real: `allkeys-lru` under a memory limit just above what
   * it holds, then fillers until it is gone. Redis's LRU clock ticks once a second, so ages
   * are set with RESTORE ... IDLETIME: the victim idlest, the fillers next, every other key
   * (the entry) just used. @returns how many keys Redis evicted
   */
  async function evict(victim: string): Promise<number> {
    const victimBytes = await raw.dumpBuffer(victim);
    await raw.restore(victim, 0, victimBytes!, 'REPLACE', 'IDLETIME', 1_000_000);
    await raw.set('filler:template', 'f'.repeat(1000));
    const filler = (await raw.dumpBuffer('filler:template'))!;
    await raw.del('filler:template');
    const used = Number(/used_memory:(\d+)/.exec(await raw.info('memory'))![1]);
    await raw.config('SET', 'maxmemory-policy', 'allkeys-lru');
    await raw.config('SET', 'maxmemory', String(used + 256 * 1024));
    let batches = 0;
    while ((await raw.exists(victim)) === 1) {
      if (++batches > 2000) throw new Error(`${victim} was never evicted`);
      const pipeline = raw.pipeline();
      for (let i = 0; i < 50; i++) pipeline.restore(`filler:${batches}:${i}`, 0, filler, 'IDLETIME', 500_000);
      await pipeline.exec();
    }
    const evicted = Number(/evicted_keys:(\d+)/.exec(await raw.info('stats'))![1]);
    await raw.config('SET', 'maxmemory', '0');
    return evicted;
  }

  for (const [name, create] of Object.entries(stores)) {
    describe(name, () => {
      for (const [counter, loss] of [
        ['namespace', 'evicted'],
        ['namespace', 'deleted'],
        ['tag', 'evicted'],
        ['tag', 'deleted'],
      ] as const) {
        it(`serves the new row after a ${counter} invalidation whose counter Redis then ${loss}`, async () => {
          const store = await create();
          opened.push(store);
          const prefix = `vl${randomBytes(3).toString('hex')}`;
          configureCache({ store, prefix });
          const db = new Map([['a', 'v1']]);
          let loads = 0;
          class Catalog {
            @Cacheable({ namespace: 'catalog', key: (id: string) => id, tags: ['prices'] })
            async get(id: string) {
              loads++;
              return db.get(id);
            }
            @Invalidate({ namespace: 'catalog', allEntries: true })
            async renameAll(value: string) {
              db.set('a', value);
            }
            @Invalidate({ tags: ['prices'] })
            async reprice(value: string) {
              db.set('a', value);
            }
          }
          const catalog = new Catalog();
          expect(await catalog.get('a')).toBe('v1');
          expect(await catalog.get('a')).toBe('v1');
          expect(loads).toBe(1);
          if (counter === 'namespace') await catalog.renameAll('v2');
          else await catalog.reprice('v2');
          const counterKey = counter === 'namespace' ? `${prefix}#n:catalog` : `${prefix}#t:prices`;
          const entryKey = `${prefix}:catalog:a`;
          expect(await raw.exists(counterKey)).toBe(1);
          if (loss === 'deleted') expect(await raw.del(counterKey)).toBe(1);
          else expect(await evict(counterKey)).toBeGreaterThan(0);
          expect(await raw.exists(counterKey)).toBe(0);
          expect(await raw.exists(entryKey)).toBe(1); // the invalidated entry is still in Redis
          expect(await catalog.get('a')).toBe('v2');
          expect(loads).toBe(2);
          expect(await catalog.get('a')).toBe('v2');
          expect(loads).toBe(2); // and cached again under the counter's new value
        });
      }
    });
  }

  it("TieredStore: another instance's L1 copy goes when a counter that restarted below its mirrored value is bumped", async () => {
    const channel = `vl-${randomBytes(4).toString('hex')}`;
    const make = async () => {
      const t = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: connection() }), bus: { channel } });
      opened.push(t);
      await until(() => t.l1Active, 'the bus is subscribed');
      return t;
    };
    const a = await make();
    const b = await make();
    const ns = 'vt#n:catalog';
    const key = 'vt:catalog:a';
    const nextMessage = () =>
      new Promise<void>((resolve) => {
        const off = b.bus!.onInvalidation(() => {
          off();
          resolve();
        });
      });
    const [v] = await a.readVersions([ns]);
    const written = nextMessage();
    await a.write(key, { v: 'old', g: 1, n: v }, 60_000);
    await written; // (a read in flight while a message arrives does not fill L1)
    expect((await b.read(key, [ns])).entry).toStrictEqual({ v: 'old', g: 1, n: v });
    expect(b.readSync(key, [ns])?.entry).toStrictEqual({ v: 'old', g: 1, n: v }); // b's L1 and mirror hold it
    // The counter is lost and starts again lower than b's copy (a random base can be lower).
    await raw.set(ns, String(v! - 100));
    const heard = nextMessage();
    expect(await a.bump([ns])).toEqual([v! - 99]);
    await heard;
    expect(b.readSync(key, [ns])).toBeUndefined();
    expect((await b.read(key, [ns])).versions).toEqual([v! - 99]); // the entry (n: v) is stale
  });
});
