import { randomBytes } from 'node:crypto';
import {
  configureCache, errors, recoverWriteBehind, RedisStore, WriteBehind, type CacheRuntime, type ErrorContext,
} from '../../src/index.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';

/**
 * Durable write-behind while Redis is paused (SIGSTOP: the socket stays open, nothing answers):
 * every journal command has the store's deadline and passes its breaker, so calls, flush() and
 * close() settle while the server is still stopped; nothing accepted is lost.
 */
describe('@WriteBehind durable: Redis paused', () => {
  let server: TestRedisServer;
  let runtimes: CacheRuntime[];
  let reported: Array<{ error: unknown; context: ErrorContext }>;

  beforeAll(() => {
    server = startServer();
  });
  afterAll(() => server.kill());
  beforeEach(() => {
    runtimes = [];
    reported = [];
  });
  afterEach(async () => {
    server.resume();
    for (const r of runtimes) await r.close();
  });

  const rows = new Map<string, string>();
  function runtime(prefix: string): CacheRuntime {
    const r = configureCache({
      store: new RedisStore({ connection: `redis://127.0.0.1:${server.port}`, timeoutMs: 200 }),
      prefix,
      onError: (error, context) => reported.push({ error, context }),
    });
    runtimes.push(r);
    return r;
  }
  class Settings {
    @WriteBehind({ durable: true, key: (k: string) => k, batch: { size: 1000, intervalMs: 3_600_000 } })
    async put(k: string, v: string): Promise<void> {
      rows.set(k, v);
    }
  }

  it('a durable call rejects with StoreTimeoutError, then CircuitOpenError, while Redis is stopped; flush() and close() settle; the accepted writes reach the method and are replayed (never lost) once Redis is back', async () => {
    const prefix = `paused-${randomBytes(4).toString('hex')}`;
    rows.clear();
    const a = runtime(prefix);
    const settings = new Settings();
    await settings.put('a', '1');
    await settings.put('b', '2');
    server.pause();

    const codes: string[] = [];
    for (let i = 0; i < 10 && !codes.includes('E_CIRCUIT_OPEN'); i++) {
      const error = await settings.put('c', '3').then(
        () => undefined,
        (e: unknown) => e as { code: string },
      );
      expect(error).toBeInstanceOf(errors.StoreError);
      codes.push(error!.code);
    }
    // the first ones wait for their deadline; once the store's breaker opened, calls fail at once
    expect(codes[0]).toBe('E_STORE_TIMEOUT');
    expect(codes[codes.length - 1]).toBe('E_CIRCUIT_OPEN');
    expect(codes.every((c) => c === 'E_STORE_TIMEOUT' || c === 'E_CIRCUIT_OPEN')).toBe(true);

    await a.flush(); // settles with Redis still stopped: the methods ran, their acknowledgements failed
    expect([...rows.entries()].sort()).toEqual([['a', '1'], ['b', '2']]);
    await a.close(); // settles with Redis still stopped, and says what it could not do
    const closing = reported.filter((r) => r.context.operation === 'journal-close').map((r) => (r.error as Error).message);
    expect(closing).toContainEqual(expect.stringMatching(/^write-behind journal: 2 acknowledgements of '.*' could not reach Redis before close; those writes reached their method and will be replayed by another process/));

    server.resume();
    rows.clear();
    const b = runtime(prefix);
    const recovery = await recoverWriteBehind(new Settings(), b);
    const done = await recovery.settled();
    // a and b are replayed (their acknowledgements were lost): written twice, never lost. The
    // appends that timed out ran when Redis continued: like any timed-out write, they take
    // effect (c=3 once; the older entries of c are superseded by the newest)
    const timedOut = codes.filter((c) => c === 'E_STORE_TIMEOUT').length;
    expect(Object.fromEntries(rows)).toEqual({ a: '1', b: '2', c: '3' });
    expect(done).toMatchObject({ claimed: 2 + timedOut, replayed: 3, superseded: timedOut - 1, deadLettered: 0, left: 0, pending: 0 });
  }, 60_000);
});
