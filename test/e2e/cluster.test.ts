import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { MemoryStore, RedisStore, TieredStore } from '../../src/index.js';
import { runStoreSuite } from '../stores/store-suite.js';
import { rawOf, scanAll } from '../helpers/redis.js';
import { sleep, until } from '../helpers/waiting.js';
import { startCluster, type TestRedisServer } from './fixtures/redis-servers.js';

/**
 * The shared store suite on a real 3-master Redis Cluster (started here, on free loopback
 * ports), through an ioredis Cluster client: RedisStore and TieredStore.
 */
let servers: TestRedisServer[] = [];
let stopCluster: () => void = () => undefined;
let client: Cluster;

const newClient = () => new Cluster(servers.map((s) => ({ host: '127.0.0.1', port: s.port })));

beforeAll(async () => {
  ({ servers, stop: stopCluster } = await startCluster());
  client = newClient();
  await until(() => client.status === 'ready', 'the Cluster client is ready');
}, 60_000);

afterAll(async () => {
  await client?.quit();
  stopCluster();
});

runStoreSuite('RedisStore on a Cluster', async () => {
  const errors: unknown[] = [];
  const store = new RedisStore({ client });
  store.attach({ onError: (e) => errors.push(e) });
  return { store, errors, raw: rawOf(client), advance: (ms) => sleep(ms), close: () => store.close() };
}, true);

runStoreSuite('TieredStore on a Cluster', async () => {
  let now = 1_000_000;
  const errors: unknown[] = [];
  const store = new TieredStore({
    l1: new MemoryStore({ clock: { now: () => now } }),
    l2: new RedisStore({ client }),
    bus: { channel: `cachekit-cluster:${randomBytes(4).toString('hex')}` },
  });
  store.attach({ onError: (e) => errors.push(e) });
  await until(() => store.l1Active, 'the bus is subscribed');
  return {
    store,
    errors,
    raw: rawOf(client),
    advance: async (ms) => {
      now += ms;
      await sleep(ms);
    },
    close: () => store.close(),
  };
}, true);

describe('RedisStore on a Cluster: hash slots', () => {
  it('reads an entry with counters that live on other masters, and clears every master', async () => {
    const store = new RedisStore({ client });
    const prefix = `cs${randomBytes(4).toString('hex')}`;
    const keys = Array.from({ length: 60 }, (_, i) => `${prefix}:ns:${i}`);
    const tags = Array.from({ length: 10 }, (_, i) => `${prefix}#t:${i}`);
    await Promise.all(keys.map((k, i) => store.write(k, { v: i, g: i + 1 }, 0)));
    const base = await store.readVersions(tags); // missing counters start at a random base, each with one script on its own master
    for (const v of base) expect(v >= 2 ** 51 && v < 2 ** 52).toBe(true);
    expect(await store.bump(tags)).toEqual(base.map((v) => v + 1));
    const masters = client.nodes('master');
    expect(masters).toHaveLength(3);
    const perMaster = await Promise.all(masters.map((m) => m.dbsize()));
    expect(perMaster.every((n) => n > 0)).toBe(true); // the keys really are spread over the three
    const read = await store.read(keys[7]!, [`${prefix}#n:ns`, ...tags]);
    expect(read.entry).toStrictEqual({ v: 7, g: 8 });
    expect(read.versions.slice(1)).toEqual(base.map((v) => v + 1));
    expect(read.versions[0]! >= 2 ** 51).toBe(true); // the namespace counter, started by this read
    expect(await store.readVersions([`${prefix}#n:ns`])).toEqual([read.versions[0]]);
    expect(await store.delete(keys.slice(0, 30))).toBe(30);
    await store.clear();
    const left = await Promise.all(masters.map((m) => scanAll(m, `${prefix}*`)));
    expect(left.flat()).toEqual([]);
    await store.close();
    expect(client.status).toBe('ready');
  });

  it('spreads an invalidation between two TieredStores on the Cluster', async () => {
    const channel = `cachekit-cluster:${randomBytes(4).toString('hex')}`;
    const a = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ client }), bus: { channel } });
    const b = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ client }), bus: { channel } });
    try {
      await until(() => a.l1Active && b.l1Active, 'both buses are subscribed');
      const key = `ct${randomBytes(4).toString('hex')}:ns:k`;
      let delivered = new Promise((resolve) => b.bus!.onInvalidation(resolve));
      await a.write(key, { v: 'v1', g: 1 }, 60_000);
      await delivered;
      expect((await b.read(key, [])).entry).toStrictEqual({ v: 'v1', g: 1 });
      expect(b.readSync(key, [])!.entry).toStrictEqual({ v: 'v1', g: 1 });
      delivered = new Promise((resolve) => b.bus!.onInvalidation(resolve));
      await a.write(key, { v: 'v2', g: 2 }, 60_000);
      await delivered;
      expect(b.readSync(key, [])).toBeUndefined();
      expect((await b.read(key, [])).entry).toStrictEqual({ v: 'v2', g: 2 });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
