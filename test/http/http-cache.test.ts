/**
 * cachekit/http over real HTTP: the same behaviours on Express (cacheMiddleware) and Fastify
 * (cachePlugin), against a server listening on 127.0.0.1, on each store (memory, Redis, tiered).
 * Time moves with a ManualScheduler.
 */
import { configureCache, ManualScheduler, type CacheRuntime } from 'cachekit';
import { timedStoreFactories } from '../helpers/store-factories.js';
import request from 'supertest';
import { Backend, expressApp, fastifyApp, type RunningApp } from './http-apps.js';

interface Reply {
  status: number;
  xCache: string | null;
  headers: Headers;
  text: string;
  json: () => any;
}

async function get(app: RunningApp, path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${app.url}${path}`, init);
  const text = await response.text();
  return { status: response.status, xCache: response.headers.get('x-cache'), headers: response.headers, text, json: () => JSON.parse(text) };
}

const apps = [
  ['Express', expressApp],
  ['Fastify', fastifyApp],
] as const;
const cases = apps.flatMap(([appName, start]) => timedStoreFactories().map((store) => [appName, store.name, start, store] as const));
let run = 0;

describe.each(cases)('cachekit/http on %s with %s', (_app, _store, start, store) => {
  let backend: Backend;
  let app: RunningApp;
  let clock: ManualScheduler;
  let runtime: CacheRuntime;

  beforeEach(async () => {
    clock = new ManualScheduler({ now: Date.now() });
    // a prefix of its own per test: the Redis ones share the run's redis-server
    runtime = configureCache({ scheduler: clock, store: store.create(clock), prefix: `http-${process.pid}-${++run}`, ttl: '1m', grace: '1h', graceBackoff: 0 });
    backend = new Backend();
    app = await start(backend);
  });
  afterEach(async () => {
    await app.close();
    await runtime.close();
  });

  it('misses once, then hits with the same status, body and allow-listed headers', async () => {
    const first = await get(app, '/items?a=1');
    const second = await get(app, '/items?a=1');
    expect([first.xCache, second.xCache]).toEqual(['miss', 'hit']);
    expect(second.status).toBe(200);
    expect(second.json()).toEqual({ n: 1, query: { a: '1' } });
    expect(second.headers.get('content-type')).toMatch(/^application\/json/);
    expect(second.headers.get('x-internal')).toBeNull(); // not on the allow-list: never replayed
    expect(backend.calls.get('items')).toBe(1);
  });

  it('the order of query parameters does not matter; their values do', async () => {
    await get(app, '/items?b=2&a=1');
    expect((await get(app, '/items?a=1&b=2')).xCache).toBe('hit');
    expect((await get(app, '/items?a=1&b=3')).xCache).toBe('miss');
    expect(backend.calls.get('items')).toBe(2);
  });

  it('vary separates users', async () => {
    const alice = await get(app, '/me', { headers: { 'x-user': 'alice' } });
    const bob = await get(app, '/me', { headers: { 'x-user': 'bob' } });
    const aliceAgain = await get(app, '/me', { headers: { 'x-user': 'alice' } });
    expect([alice.xCache, bob.xCache, aliceAgain.xCache]).toEqual(['miss', 'miss', 'hit']);
    expect(bob.json()).toEqual({ n: 2, user: 'bob' });
    expect(aliceAgain.json()).toEqual({ n: 1, user: 'alice' });
  });

  it('POST is not cached (and gets no x-cache header)', async () => {
    const a = await get(app, '/items', { method: 'POST' });
    const b = await get(app, '/items', { method: 'POST' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect([a.xCache, b.xCache]).toEqual([null, null]);
    expect(b.json()).toEqual({ n: 2 });
  });

  it('a non-2xx response is not stored', async () => {
    const a = await get(app, '/missing');
    const b = await get(app, '/missing');
    expect([a.status, b.status]).toEqual([404, 404]);
    expect([a.xCache, b.xCache]).toEqual(['miss', 'miss']);
    expect(b.json()).toEqual({ n: 2 });
  });

  it('a response with Cache-Control: no-store is not stored', async () => {
    await get(app, '/no-store');
    const b = await get(app, '/no-store');
    expect(b.xCache).toBe('miss');
    expect(b.headers.get('cache-control')).toBe('no-store');
    expect(b.json()).toEqual({ n: 2 });
  });

  it('a request with Cache-Control: no-store skips the cache; no-cache runs the handler and stores its response', async () => {
    await get(app, '/items');
    const noStore = await get(app, '/items', { headers: { 'cache-control': 'no-store' } });
    expect(noStore.xCache).toBeNull();
    expect(noStore.json().n).toBe(2);
    const noCache = await get(app, '/items', { headers: { 'cache-control': 'no-cache' } });
    expect(noCache.xCache).toBe('miss');
    expect(noCache.json().n).toBe(3);
    const after = await get(app, '/items');
    expect(after.xCache).toBe('hit');
    expect(after.json().n).toBe(3);
  });

  it('a response that sets a cookie is not stored, and a cookie is never replayed', async () => {
    const a = await get(app, '/cookie');
    const b = await get(app, '/cookie');
    expect([a.xCache, b.xCache]).toEqual(['miss', 'miss']);
    expect(a.headers.get('set-cookie')).toMatch(/^session=s1/);
    expect(b.headers.get('set-cookie')).toMatch(/^session=s2/);
  });

  it('requests with Authorization are not cached when no vary is given', async () => {
    const other = await start(backend, { vary: undefined });
    try {
      const a = await get(other, '/items', { headers: { authorization: 'Bearer a' } });
      const b = await get(other, '/items', { headers: { authorization: 'Bearer b' } });
      expect([a.xCache, b.xCache]).toEqual([null, null]);
      expect(b.json().n).toBe(2);
    } finally {
      await other.close();
    }
  });

  it('expires after its TTL (moved by the scheduler, no sleeping)', async () => {
    await get(app, '/items');
    await clock.advance(59_000);
    expect((await get(app, '/items')).xCache).toBe('hit');
    await clock.advance(2_000);
    const after = await get(app, '/items');
    expect(after.xCache).toBe('miss');
    expect(after.json().n).toBe(2);
  });

  it('within grace, a failing handler (5xx) is answered by the stale response, x-cache: stale, without its cookie', async () => {
    await get(app, '/flaky');
    await clock.advance(61_000);
    backend.failing = true;
    const stale = await get(app, '/flaky');
    expect(stale.status).toBe(200);
    expect(stale.xCache).toBe('stale');
    expect(stale.json()).toEqual({ n: 1 });
    expect(stale.headers.get('set-cookie')).toBeNull(); // the failed response's headers are gone
    expect(backend.calls.get('flaky')).toBe(2);
  });

  it('within grace, a handler that throws is answered by the stale response', async () => {
    await get(app, '/thrown');
    await clock.advance(61_000);
    backend.failing = true;
    const stale = await get(app, '/thrown');
    expect([stale.status, stale.xCache]).toEqual([200, 'stale']);
    expect(stale.json()).toEqual({ n: 1 });
  });

  it('after a failure, the key is served stale without running the handler for the graceBackoff', async () => {
    await runtime.close();
    await app.close();
    runtime = configureCache({ scheduler: clock, store: store.create(clock), prefix: `http-${process.pid}-${++run}`, ttl: '1m', grace: '1h', graceBackoff: '5s' });
    app = await start(backend);
    await get(app, '/flaky');
    await clock.advance(61_000);
    backend.failing = true;
    expect((await get(app, '/flaky')).xCache).toBe('stale');
    const backedOff = await get(app, '/flaky');
    expect([backedOff.status, backedOff.xCache, backedOff.json()]).toEqual([200, 'stale', { n: 1 }]);
    expect(backend.calls.get('flaky')).toBe(2); // the second stale one did not call the handler
    await clock.advance(5_000);
    backend.failing = false;
    const recovered = await get(app, '/flaky');
    expect([recovered.xCache, recovered.json()]).toEqual(['miss', { n: 3 }]);
  });

  it('past grace, the failure goes out as it is, not stored', async () => {
    await get(app, '/flaky');
    await clock.advance(61_000 + 3_600_000);
    backend.failing = true;
    const failed = await get(app, '/flaky');
    expect([failed.status, failed.xCache, failed.text]).toEqual([503, 'miss', 'down']);
    backend.failing = false;
    expect((await get(app, '/flaky')).json()).toEqual({ n: 3 });
  });

  it('concurrent identical requests run the handler once; the rest get its response', async () => {
    const gate = backend.holdNext();
    // every request reads the cache (a miss each) before it joins the load in flight, in the same tick
    const threeMisses = new Promise<void>((resolve) => {
      let n = 0;
      const off = runtime.on('miss', (event) => {
        if (event.key.includes('/gated') && ++n === 3) {
          off();
          resolve();
        }
      });
    });
    const first = get(app, '/gated?x=1');
    await backend.started;
    const others = [get(app, '/gated?x=1'), get(app, '/gated?x=1')];
    await threeMisses;
    gate.open();
    const replies = await Promise.all([first, ...others]);
    expect(replies.map((r) => r.json())).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(replies[0]!.xCache).toBe('miss');
    expect(backend.calls.get('gated')).toBe(1);
  });

  it('HEAD is answered from the GET entry, without a body', async () => {
    const miss = await get(app, '/items', { method: 'HEAD' });
    expect(miss.xCache).toBe('miss');
    const stored = await get(app, '/items');
    const head = await get(app, '/items', { method: 'HEAD' });
    expect([head.status, head.xCache, head.text]).toEqual([200, 'hit', '']);
    expect(head.headers.get('content-length')).toBe(String(Buffer.byteLength(stored.text)));
  });

  it('a hit answers If-None-Match with 304 when the stored ETag matches', async () => {
    await get(app, '/etag');
    // supertest, not fetch: fetch adds Cache-Control: no-cache to a conditional request (a refresh)
    const conditional = await request(app.url).get('/etag').set('if-none-match', '"v1"');
    expect([conditional.status, conditional.headers['x-cache'], conditional.headers.etag, conditional.text]).toEqual([304, 'hit', '"v1"', '']);
    expect(backend.calls.get('etag')).toBe(1);
  });

  it('a body written in several chunks is stored whole', async () => {
    await get(app, '/stream');
    const hit = await get(app, '/stream');
    expect([hit.xCache, hit.text]).toEqual(['hit', 'part1,part2,n=1']);
  });

  it.each(['/events', '/events-unflushed'])('a stream of server-sent events (%s) goes through as it comes and is not stored', async (path) => {
    const response = await fetch(`${app.url}${path}`);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect([response.headers.get('x-cache'), Buffer.from(first.value!).toString()]).toEqual(['miss', 'data: one\n\n']);
    await reader.cancel();
  });

  it('concurrent clients of one event stream each get it (none waits for the first stream to end)', async () => {
    const responses = await Promise.all([fetch(`${app.url}/events`), fetch(`${app.url}/events`)]);
    const readers = responses.map((r) => r.body!.getReader());
    const firsts = await Promise.all(readers.map((r) => r.read()));
    expect(firsts.map((f) => Buffer.from(f.value!).toString())).toEqual(['data: one\n\n', 'data: one\n\n']);
    await Promise.all(readers.map((r) => r.cancel()));
    expect(backend.calls.get('events')).toBe(2);
  });

  it('a body larger than maxBodyBytes is sent but not stored', async () => {
    const small = await start(backend, { maxBodyBytes: 1024 });
    try {
      const a = await get(small, '/big');
      const b = await get(small, '/big');
      expect(a.text).toBe('x'.repeat(2048) + '1');
      expect([a.xCache, b.xCache]).toEqual(['miss', 'miss']);
      expect(b.text.endsWith('2')).toBe(true);
    } finally {
      await small.close();
    }
  });

  it('entries live in the runtime under the namespace: invalidating it empties the HTTP cache', async () => {
    await get(app, '/items');
    await runtime.invalidate({ namespace: 'http', allEntries: true });
    expect((await get(app, '/items')).xCache).toBe('miss');
  });
});
