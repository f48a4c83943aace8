/**
 * Grace on a TieredStore while Redis is down (issue 15 item 1): the L1 copy within its grace is
 * served when the method fails too, a key backs off after that, a copy past its grace is not, and
 * a key this process invalidated during the outage is never served stale. An L1 copy lives at most
 * `l1Ttl`, so that bounds the outage it rides out; here 15 minutes. A private redis-server
 * of this file's own is killed for real; the runtime's clock is a ManualScheduler.
 */
import { Cacheable, Invalidate, configureCache, ManualScheduler, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheEvents } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { until } from '../helpers/waiting.js';

let server: TestRedisServer;
let runtime: CacheRuntime | undefined;
let tiered: TieredStore;
beforeEach(() => {
  server = startServer();
});
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  server.kill();
});

describe('TieredStore with Redis down: the L1 copy within grace is the fail-safe', () => {
  const setup = async () => {
    const clock = new ManualScheduler({ now: Date.now() });
    // an L1 copy lives at most l1Ttl: it bounds the outage the L1 fail-safe rides out
    tiered = new TieredStore({
      l1Ttl: '15m',
      l1: new MemoryStore({ clock }),
      l2: new RedisStore({ connection: `redis://127.0.0.1:${server.port}`, timeoutMs: 200, breaker: { failureThreshold: 1, cooldownMs: 60_000 } }),
    });
    const stale: Array<CacheEvents['stale']> = [];
    runtime = configureCache({ store: tiered, prefix: `tfs-${Math.random().toString(36).slice(2)}`, scheduler: clock, onError: () => {} });
    runtime.on('stale', (e) => stale.push(e));
    await until(() => tiered.bus!.isSubscribed, 'the bus is subscribed');
    let down = false;
    let loads = 0;
    class Prices {
      @Cacheable({ namespace: 'price', key: (id: string) => id, ttl: '1m', grace: '10m', graceBackoff: '5s' })
      async get(id: string): Promise<string> {
        loads++;
        if (down) throw new Error('database down');
        return `price-${id}`;
      }
      @Invalidate({ namespace: 'price', key: (id: string) => id })
      async change(_id: string): Promise<void> {}
    }
    const prices = new Prices();
    return {
      clock,
      stale,
      prices,
      loads: () => loads,
      databaseDown: () => (down = true),
      killRedis: async () => {
        server.kill();
        await until(() => !tiered.bus!.isSubscribed, 'the bus saw Redis go');
      },
    };
  };

  it('serves the L1 copy within grace when the read of Redis and the method both fail, then backs off', async () => {
    const s = await setup();
    expect(await s.prices.get('a')).toBe('price-a');
    await s.killRedis();
    s.databaseDown();
    await s.clock.advance(2 * 60_000);
    expect(await s.prices.get('a')).toBe('price-a');
    expect(s.stale.map((e) => e.reason)).toEqual(['error']);
    expect(s.loads()).toBe(2);
    // backing off: the copy answers without calling the method
    expect(await s.prices.get('a')).toBe('price-a');
    expect(s.loads()).toBe(2);
    expect(s.stale.map((e) => e.reason)).toEqual(['error', 'backoff']);
    // past the backoff the method is tried again, and the copy answers its failure
    await s.clock.advance(5_001);
    expect(await s.prices.get('a')).toBe('price-a');
    expect(s.loads()).toBe(3);
  });

  it('a copy that is still fresh by its TTL is not a hit while the bus is down: the method runs first', async () => {
    const s = await setup();
    await s.prices.get('a');
    await s.killRedis();
    expect(await s.prices.get('a')).toBe('price-a');
    expect(s.loads()).toBe(2);
    expect(s.stale).toEqual([]);
  });

  it('past its grace the copy is not served: the failure reaches the caller', async () => {
    const s = await setup();
    await s.prices.get('a');
    await s.killRedis();
    s.databaseDown();
    await s.clock.advance(60_000 + 10 * 60_000 + 1);
    await expect(s.prices.get('a')).rejects.toThrow('database down');
    expect(s.stale).toEqual([]);
  });

  it('a key this process invalidated during the outage is never served stale', async () => {
    const s = await setup();
    await s.prices.get('a');
    await s.killRedis();
    await s.prices.change('a');
    s.databaseDown();
    await s.clock.advance(2 * 60_000);
    await expect(s.prices.get('a')).rejects.toThrow('database down');
    expect(s.stale).toEqual([]);
  });
});
