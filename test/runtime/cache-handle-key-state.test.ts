/**
 * `runtime.cache(ns).wrap(key, loader, options)` compiles a call per options object: the keys'
 * graceBackoff must outlive it (on Redis there is no process-local entry to carry it).
 */
import { configureCache, ManualScheduler, RedisStore, type CacheRuntime } from '../../src/index.js';

describe('runtime.cache().wrap with options, on RedisStore', () => {
  let runtime: CacheRuntime;
  afterEach(() => runtime.close());

  it('a key that failed within grace is served stale without its loader for graceBackoff, across wrap calls with fresh options objects', async () => {
    const clock = new ManualScheduler({ now: Date.now() });
    runtime = configureCache({ scheduler: clock, store: new RedisStore({ connection: process.env.REDIS_URL! }), prefix: `key-state-${process.pid}-${Date.now()}` });
    const products = runtime.cache<string>('product');
    let calls = 0;
    const failing = async (): Promise<string> => {
      calls++;
      throw new Error('down');
    };
    await products.wrap('p1', async () => 'v1', { ttl: '1m', grace: '1h', graceBackoff: '5s' });
    await clock.advance(61_000);
    expect(await products.wrap('p1', failing, { ttl: '1m', grace: '1h', graceBackoff: '5s' })).toBe('v1');
    expect(await runtime.cache<string>('product').wrap('p1', failing, { ttl: '1m', grace: '1h', graceBackoff: '5s' })).toBe('v1');
    expect(calls).toBe(1);
    await clock.advance(5_000);
    expect(await products.wrap('p1', async () => 'v2', { ttl: '1m', grace: '1h', graceBackoff: '5s' })).toBe('v2');
  });
});
