/**
 * @CacheableMany on Redis (issue 15 item 5): the hits of a batch cost one MGET. A private
 * redis-server of this file's own, so its INFO commandstats count this test's commands only.
 */
import { Redis } from 'ioredis';
import { CacheableMany, configureCache, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';

let server: TestRedisServer;
let admin: Redis;
let runtime: CacheRuntime | undefined;
beforeAll(() => {
  server = startServer();
  admin = new Redis(`redis://127.0.0.1:${server.port}`);
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});
afterAll(() => {
  admin.disconnect();
  server.kill();
});

async function commandCounts(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/cmdstat_(\w+):calls=(\d+)/g)) out[m[1]!] = Number(m[2]);
  return out;
}

/** The commands (other than INFO) Redis ran between two counts. */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) if (name !== 'info' && calls > (before[name] ?? 0)) out[name] = calls - (before[name] ?? 0);
  return out;
}

describe.each([
  ['RedisStore (versions tracked)', (url: string): CacheStore => new RedisStore({ connection: url })],
  ['RedisStore (trackVersions: false)', (url: string): CacheStore => new RedisStore({ connection: url, trackVersions: false })],
  ['TieredStore (L1 emptied)', (url: string): CacheStore => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
])('@CacheableMany on %s', (_name, create) => {
  it('the reads of 100 ids cost one MGET; 10 missing add only their compare-and-set writes', async () => {
    const store = create(`redis://127.0.0.1:${server.port}`);
    runtime = configureCache({ store, prefix: `cmc-${Math.random().toString(36).slice(2)}` });
    const loaded: string[][] = [];
    class Products {
      @CacheableMany({ namespace: 'product', key: (id: string) => id })
      async getMany(ids: string[]): Promise<string[]> {
        loaded.push(ids);
        return ids.map((id) => `row-${id}`);
      }
    }
    const products = new Products();
    const ids = Array.from({ length: 100 }, (_, i) => `p${i}`);
    await products.getMany(ids.slice(10));
    if (store instanceof TieredStore) await store.l1.clear();
    const before = await commandCounts();
    expect(await products.getMany(ids)).toEqual(ids.map((id) => `row-${id}`));
    const cost = delta(before, await commandCounts());
    expect(loaded).toEqual([ids.slice(10), ids.slice(0, 10)]);
    // the reads: one MGET; each missed id: one compare-and-set script (its GET and SET run inside it)
    expect(cost.mget).toBe(1);
    expect(cost.evalsha).toBe(10);
    expect(cost.get).toBe(10);
    expect(cost.set).toBe(10);
    // a TieredStore also tells other instances (one PUBLISH per write) and its bus connection may say HELLO
    const rest = Object.keys(cost).filter((name) => !['mget', 'evalsha', 'get', 'set', 'publish', 'hello'].includes(name));
    expect(rest).toEqual([]);
  });
});
