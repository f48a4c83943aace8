/**
 * A lone read of a RedisStore is sent straight to the connection and settled in ioredis's reply
 * callback (`DirectRead`): no promise of ioredis's is involved, so nothing but the
 * store's own deadline ends a read that Redis never answers. Here a private redis-server is
 * paused (SIGSTOP: the socket stays open, nothing answers; the GET is written and waits in the
 * socket) at the worst moment for the deadlines: nothing pending, so their sweep timer has
 * stopped and the read alone must start it again. Every such read must still settle by its
 * timeout: `@Cacheable` falls back to the method, `RedisStore.read` rejects.
 *
 * The bound is the documented one (1.25 x timeoutMs, plus event-loop lag), with a generous
 * allowance for a loaded machine; it catches a read that waits for Redis, not a slow one.
 */
import { Redis } from 'ioredis';
import { Cacheable, configureCache, errors, RedisStore, type CacheRuntime } from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { settledWithin, until } from '../helpers/waiting.js';

const TIMEOUT_MS = 200;
const BOUND_MS = 1.25 * TIMEOUT_MS + 1_500;

/** Whether the store's deadline sweep timer is stopped (it runs only while operations are pending). */
function sweepStopped(store: RedisStore): boolean {
  const sender = (store as unknown as { sender: { context: { deadlines: { timer?: unknown } } } }).sender;
  return sender.context.deadlines.timer === undefined;
}

describe('a lone Redis read whose server pauses once its GET is sent settles by its timeout', () => {
  let server: TestRedisServer;
  let client: Redis;
  let runtime: CacheRuntime | undefined;

  beforeEach(async () => {
    server = startServer();
    // a user's plain client, handed to the store as is
    client = new Redis({ host: '127.0.0.1', port: server.port });
    await client.ping();
  });

  afterEach(async () => {
    server.resume();
    await runtime?.close();
    runtime = undefined;
    client.disconnect();
    server.kill();
  });

  for (const trackVersions of [true, false]) {
    it(`@Cacheable hit (trackVersions: ${trackVersions}): the call answers with the method's value, the timeout reported`, async () => {
      const store = new RedisStore({ client, timeoutMs: TIMEOUT_MS, trackVersions });
      const reported: unknown[] = [];
      runtime = configureCache({ store, prefix: `drd${String(trackVersions)}`, ttl: '1m', onError: (error) => reported.push(error) });
      let loads = 0;
      class Products {
        @Cacheable()
        async get(id: string): Promise<{ id: string; load: number }> {
          return { id, load: ++loads };
        }
      }
      const products = new Products();
      expect(await products.get('a')).toEqual({ id: 'a', load: 1 });
      expect(await products.get('a')).toEqual({ id: 'a', load: 1 }); // a hit, which starts tracking its namespace version
      if (trackVersions) await until(() => store.versionsTracked, 'versions are tracked');
      expect(await products.get('a')).toEqual({ id: 'a', load: 1 }); // tracked: a hit is one GET
      expect(store.pendingOperations).toBe(0); // so the next read goes alone, directly
      await until(() => sweepStopped(store), 'the deadline sweep stopped');

      server.pause();
      const call = products.get('a');
      expect(await settledWithin(call, BOUND_MS)).toBe('resolved');
      expect(await call).toEqual({ id: 'a', load: 2 });
      expect(reported.some((e) => e instanceof errors.StoreTimeoutError)).toBe(true);
      expect(store.breaker.consecutiveFailures).toBe(1);
      expect(store.pendingOperations).toBe(0);

      server.resume();
      // the late reply settles nothing twice, and Redis serves the entry again
      await until(async () => (await products.get('a')).load === 1, 'the entry is served again');
      expect(store.breaker.consecutiveFailures).toBe(0);
    });
  }

  it("on a client with ioredis's own commandTimeout, its timer fails the lone read first: a StoreError, nothing left pending", async () => {
    const timed = new Redis({ host: '127.0.0.1', port: server.port, commandTimeout: 50 });
    const store = new RedisStore({ client: timed, timeoutMs: 5_000, trackVersions: false });
    store.attach({ onError: () => undefined });
    try {
      await store.write('drd:ns:t', { v: 'x', g: 1 }, 60_000);
      await until(() => sweepStopped(store), 'the deadline sweep stopped');
      server.pause();
      const read = store.read('drd:ns:t', []);
      expect(await settledWithin(read, BOUND_MS)).toBe('rejected'); // long before the store's own 5 s
      const error = await read.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(errors.StoreError);
      expect(error).not.toBeInstanceOf(errors.StoreTimeoutError);
      expect((error as Error).message).toMatch(/Command timed out/);
      expect(store.pendingOperations).toBe(0);
    } finally {
      server.resume();
      await store.close();
      timed.disconnect();
    }
  });

  it('RedisStore.read: the lone read rejects with a StoreTimeoutError, counted in the breaker', async () => {
    const store = new RedisStore({ client, timeoutMs: TIMEOUT_MS });
    store.attach({ onError: () => undefined });
    try {
      await store.write('drd:ns:k', { v: 'cached', g: 1, n: 0 }, 60_000);
      expect((await store.read('drd:ns:k', [])).entry).toEqual({ v: 'cached', g: 1, n: 0 });
      await until(() => sweepStopped(store), 'the deadline sweep stopped');
      server.pause();
      const read = store.read('drd:ns:k', []);
      expect(await settledWithin(read, BOUND_MS)).toBe('rejected');
      await expect(read).rejects.toBeInstanceOf(errors.StoreTimeoutError);
      expect(store.breaker.consecutiveFailures).toBe(1);
      expect(store.pendingOperations).toBe(0);
    } finally {
      server.resume();
      await store.close();
    }
  });
});
