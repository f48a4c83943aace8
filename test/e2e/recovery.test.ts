/**
 * Recovery is logged, not only failure (issue 17 item 3): a private redis-server is killed and
 * restarted on the same port while decorated calls go on; the runtime's logger gets one line per
 * thing that came back (the store's connection, its circuit breaker, version tracking, and a
 * TieredStore's invalidation bus), each with how long it was down, and the runtime emits one
 * `recover` event per line. Nothing is logged for the first connection at start-up, and an outage
 * with many reconnect attempts and breaker probes is still one line each.
 *
 * The outage the test measures runs from when it saw every part of the store notice (polled)
 * to when it started the server again: each part was down at least that long, so each `downMs`
 * is at least that (no upper bound: no timing assertions).
 */
import { randomBytes } from 'node:crypto';
import { Cacheable, MemoryStore, RedisStore, TieredStore, configureCache, type CacheEvents, type CacheRuntime, type CircuitState } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { until } from '../helpers/waiting.js';

let server: TestRedisServer | undefined;
let runtime: CacheRuntime | undefined;

afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
  configureCache();
  server?.kill();
  server = undefined;
});

/** A logger that keeps what it is given, by level. */
function testLogger() {
  const info: string[] = [];
  const warn: string[] = [];
  return { info, warn, logger: { info: (m: string) => void info.push(m), warn: (m: string) => void warn.push(m) } };
}

/** The line the runtime must log for `event` (its duration in seconds, one decimal). */
function expectedLine(event: CacheEvents['recover']): string {
  const phrase = { connection: 'redis connection restored', breaker: 'circuit breaker closed', tracking: 'version tracking restored', bus: 'invalidation bus reconnected' }[event.what];
  return `cachekit: ${phrase} after ${(event.downMs / 1000).toFixed(1)} s (store '${event.store}')`;
}

/** A class whose cached reads reach the store (and open its breaker while Redis is gone). */
function pricesClass() {
  class Prices {
    @Cacheable({ namespace: 'price', key: (id: string) => id, ttl: '1m' })
    async get(id: string): Promise<string> {
      return `price-${id}`;
    }
  }
  return new Prices();
}

/** Calls the cached method until `check` holds (each call may fail over to the method; it always returns the right value). */
async function callUntil(prices: ReturnType<typeof pricesClass>, check: () => boolean, what: string): Promise<void> {
  let n = 0;
  await until(async () => {
    expect(await prices.get(`k${n++ % 3}`)).toMatch(/^price-k\d$/);
    return check();
  }, what, 20_000);
}

describe('recovery is logged once per outage, with how long it lasted', () => {
  it('RedisStore killed and restarted: one line each for the connection, the breaker and version tracking; none at start-up', async () => {
    server = startServer();
    const port = server.port;
    const { info, warn, logger } = testLogger();
    const states: CircuitState[] = [];
    const store = new RedisStore({
      connection: { host: '127.0.0.1', port },
      name: 'rec-redis',
      timeoutMs: 200,
      breaker: { failureThreshold: 3, cooldownMs: 50, onStateChange: (s) => void states.push(s) },
    });
    runtime = configureCache({ store, prefix: `rec-${randomBytes(4).toString('hex')}`, logger });
    const recovered: Array<CacheEvents['recover']> = [];
    runtime.on('recover', (e) => void recovered.push(e));
    const prices = pricesClass();
    let reconnects = 0;
    store.client.on('reconnecting', () => reconnects++);

    await callUntil(prices, () => store.versionsTracked, 'versions are tracked');
    expect(info).toEqual([]); // the first connection is not a recovery
    expect(recovered).toEqual([]);

    server.kill();
    // several reconnect attempts and breaker probes within one outage: still one line each
    await callUntil(
      prices,
      () => store.circuit === 'open' && store.client.status !== 'ready' && !store.versionsTracked && reconnects >= 2 && states.filter((s) => s === 'half-open').length >= 2,
      'the store noticed Redis gone (breaker open and probed twice, two reconnect attempts, tracking down)',
    );
    const noticedAt = Date.now();
    // the outage goes on past that point: two more reconnect attempts and two more probes
    const [r0, h0] = [reconnects, states.filter((s) => s === 'half-open').length];
    await callUntil(prices, () => reconnects >= r0 + 2 && states.filter((s) => s === 'half-open').length >= h0 + 2, 'two more reconnect attempts and probes');
    expect(info).toEqual([]);
    const restartedAt = Date.now();
    server = startServer([], port);

    await callUntil(prices, () => recovered.length >= 3 && store.circuit === 'closed' && store.versionsTracked, 'the store recovered');
    const measured = restartedAt - noticedAt;
    expect(recovered.map((e) => e.what).sort()).toEqual(['breaker', 'connection', 'tracking']);
    for (const e of recovered) {
      expect(e.store).toBe('rec-redis');
      expect(e.downMs).toBeGreaterThanOrEqual(measured);
    }
    if (process.env.SHOW_RECOVERY_LINES) console.log(info.join('\n'));
    expect([...info].sort()).toEqual(recovered.map(expectedLine).sort());
    expect(info.every((line) => /^cachekit: (redis connection restored|circuit breaker closed|version tracking restored) after \d+\.\d s \(store 'rec-redis'\)$/.test(line))).toBe(true);
    // failures went to warn, recoveries did not
    expect(warn.some((line) => line.startsWith('cachekit: read failed in Prices.get'))).toBe(true);
    expect(warn.filter((line) => line.includes('restored') || line.includes('closed after'))).toEqual([]);

    // caching resumes; no further line comes with it
    await callUntil(prices, () => runtime!.stats().hits > 0, 'a hit after the restart');
    expect(info.length).toBe(3);
  }, 60_000);

  it('TieredStore killed and restarted: the bus line too (under the TieredStore name), L2 lines under L2 name', async () => {
    server = startServer();
    const port = server.port;
    const { info, logger } = testLogger();
    const tiered = new TieredStore({
      name: 'rec-tiered',
      l1: new MemoryStore(),
      l2: new RedisStore({ connection: { host: '127.0.0.1', port }, name: 'rec-l2', timeoutMs: 200, breaker: { failureThreshold: 3, cooldownMs: 50 } }),
      bus: { channel: `rec-${randomBytes(4).toString('hex')}` },
    });
    runtime = configureCache({ store: tiered, prefix: `rect-${randomBytes(4).toString('hex')}`, logger, onError: () => {} });
    const recovered: Array<CacheEvents['recover']> = [];
    runtime.on('recover', (e) => void recovered.push(e));
    const prices = pricesClass();
    let reconnects = 0;
    tiered.l2.client.on('reconnecting', () => reconnects++);

    await callUntil(prices, () => tiered.bus!.isSubscribed && tiered.l2.versionsTracked, 'the bus is subscribed and versions are tracked');
    expect(info).toEqual([]);

    server.kill();
    await callUntil(
      prices,
      () => !tiered.bus!.isSubscribed && tiered.l2.circuit === 'open' && tiered.l2.client.status !== 'ready' && !tiered.l2.versionsTracked,
      'the store noticed Redis gone (bus down, breaker open, tracking down)',
    );
    const noticedAt = Date.now();
    const r0 = reconnects;
    await callUntil(prices, () => reconnects >= r0 + 2, 'two more reconnect attempts');
    expect(info).toEqual([]);
    const restartedAt = Date.now();
    server = startServer([], port);

    await callUntil(prices, () => recovered.length >= 4 && tiered.bus!.isSubscribed && tiered.l2.circuit === 'closed' && tiered.l2.versionsTracked, 'the store recovered');
    const measured = restartedAt - noticedAt;
    expect(recovered.map((e) => `${e.what}@${e.store}`).sort()).toEqual(['breaker@rec-l2', 'bus@rec-tiered', 'connection@rec-l2', 'tracking@rec-l2']);
    for (const e of recovered) expect(e.downMs).toBeGreaterThanOrEqual(measured);
    if (process.env.SHOW_RECOVERY_LINES) console.log(info.join('\n'));
    expect([...info].sort()).toEqual(recovered.map(expectedLine).sort());
    expect(info.filter((line) => line.startsWith('cachekit: invalidation bus reconnected after '))).toHaveLength(1);

    await callUntil(prices, () => runtime!.stats().hits > 0, 'a hit after the restart');
    expect(info.length).toBe(4);
  }, 60_000);

  it('a logger without info() gets the recovery lines through warn()', async () => {
    server = startServer();
    const port = server.port;
    const warned: string[] = [];
    const store = new RedisStore({ connection: { host: '127.0.0.1', port }, name: 'rec-warn', timeoutMs: 200, trackVersions: false, breaker: { failureThreshold: 2, cooldownMs: 60_000 } });
    runtime = configureCache({ store, prefix: `recw-${randomBytes(4).toString('hex')}`, logger: { warn: (m: string) => void warned.push(m) }, onError: () => {} });
    const recovered: Array<CacheEvents['recover']> = [];
    runtime.on('recover', (e) => void recovered.push(e));
    const prices = pricesClass();
    await callUntil(prices, () => store.client.status === 'ready', 'connected');

    server.kill();
    await callUntil(prices, () => store.circuit === 'open' && store.client.status !== 'ready', 'the store noticed Redis gone');
    server = startServer([], port);
    await callUntil(prices, () => recovered.length >= 2 && store.circuit === 'closed', 'the store recovered');

    expect(recovered.map((e) => e.what).sort()).toEqual(['breaker', 'connection']);
    expect([...warned].sort()).toEqual(recovered.map(expectedLine).sort());
  }, 60_000);
});
