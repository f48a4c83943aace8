/**
 * cachekit/dashboard over real HTTP (a Node `http` server on 127.0.0.1, and Express): the token
 * (header or query), other origins refused, the JSON endpoint's per-method window, loader
 * percentiles, stores, write-behind queues and redacted dead letters; never a cached value.
 */
import { Cacheable, configureCache, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from 'cachekit';
import { dashboard, type DashboardData, type DashboardHandler } from 'cachekit/dashboard';
import express from 'express';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from './serve.js';

const TOKEN = 'correct horse battery staple';
let runtime: CacheRuntime | undefined;
let handler: DashboardHandler | undefined;
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  handler?.close();
  await stop?.();
  await runtime?.close();
  runtime = handler = stop = undefined;
});

function catalogClass() {
  class Catalog {
    @Cacheable({ namespace: 'product', key: (id: string) => id })
    async get(id: string): Promise<{ secret: string }> {
      return { secret: `VALUE-${id}` };
    }
  }
  return Catalog;
}

async function start(options: Parameters<typeof dashboard>[1] = { token: TOKEN }) {
  runtime = configureCache({ store: new MemoryStore(), prefix: `dash-${Math.random().toString(36).slice(2)}` });
  handler = dashboard(runtime, options);
  const served = await serve(handler);
  stop = served.close;
  return served.base;
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** The status of a GET sent with exactly these headers. */
function rawStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    }).on('error', reject);
  });
}

describe('dashboard(runtime, options)', () => {
  it('refuses to be built without a token unless open: true (TypeError naming options.token)', () => {
    runtime = configureCache({ store: new MemoryStore() });
    expect(() => dashboard(runtime!)).toThrow(TypeError);
    expect(() => dashboard(runtime!)).toThrow(/options\.token/);
    expect(() => dashboard(runtime!, { token: '' })).toThrow(/options\.token/);
    expect(() => dashboard(runtime!, { token: TOKEN, refreshMs: -1 })).toThrow(/options\.refreshMs/);
    const opened = dashboard(runtime, { open: true });
    opened.close();
  });

  it('answers 401 without the token or with a wrong one, on the page and on data.json', async () => {
    const base = await start();
    for (const path of ['', 'data.json']) {
      const none = await fetch(`${base}${path}`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await none.text()).not.toContain('<html');
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
      expect((await fetch(`${base}${path}?token=${encodeURIComponent(TOKEN.slice(0, -1))}`)).status).toBe(401);
    }
  });

  it('serves the page and data.json with the token, as a Bearer header or ?token=', async () => {
    const base = await start();
    const page = await fetch(`${base}?token=${encodeURIComponent(TOKEN)}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('content-security-policy')).toContain("connect-src 'self'");
    const html = await page.text();
    expect(html).toContain('id="chart"');
    // self-contained: no external script, stylesheet or image
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="(?!data:)|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    const data = await fetch(`${base}data.json`, { headers: auth });
    expect(data.status).toBe(200);
    expect(data.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(((await data.json()) as DashboardData).methods).toEqual([]);
    expect((await fetch(`${base}data.json?token=${encodeURIComponent(TOKEN)}`)).status).toBe(200);
  });

  it('with open: true, serves without a token', async () => {
    const base = await start({ open: true });
    expect((await fetch(`${base}data.json`)).status).toBe(200);
    expect((await fetch(base)).status).toBe(200);
  });

  it('refuses other origins (403), with or without the token; accepts its own and allowedOrigins', async () => {
    const base = await start({ token: TOKEN, allowedOrigins: ['https://ops.example.com'] });
    const own = new URL(base).origin;
    expect((await fetch(`${base}data.json`, { headers: { ...auth, origin: 'https://evil.example' } })).status).toBe(403);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, origin: 'http://127.0.0.1:1' } })).status).toBe(403);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, origin: 'null' } })).status).toBe(403);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, 'sec-fetch-site': 'cross-site' } })).status).toBe(403);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, 'sec-fetch-site': 'same-site', 'sec-fetch-mode': 'cors' } })).status).toBe(403);
    // following a link from elsewhere to the page is a navigation: allowed (the token still decides)
    // (node:http: fetch sets its own sec-fetch-mode)
    expect(await rawStatus(base, { ...auth, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate' })).toBe(200);
    expect(await rawStatus(`${base}data.json`, { ...auth, 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' })).toBe(403);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, origin: own } })).status).toBe(200);
    expect((await fetch(`${base}data.json`, { headers: { ...auth, origin: 'https://ops.example.com' } })).status).toBe(200);
  });

  it('answers 405 to anything but GET and HEAD', async () => {
    const base = await start();
    expect((await fetch(`${base}data.json`, { method: 'POST', headers: auth })).status).toBe(405);
    const head = await fetch(`${base}data.json`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(200);
  });

  it('data.json: per method counts, the hit/miss window, loader p50/p99 and the stores; never a value', async () => {
    const base = await start();
    const c = new (catalogClass())();
    await c.get('a');
    await c.get('a');
    await c.get('a');
    await c.get('b');
    const data = (await (await fetch(`${base}data.json`, { headers: auth })).json()) as DashboardData;
    expect(data.bucketMs).toBe(10_000);
    expect(data.windowMs).toBe(600_000);
    expect(data.methods).toHaveLength(1);
    const m = data.methods[0]!;
    expect(m).toMatchObject({ method: 'Catalog.get', labels: { kind: 'Cacheable', namespace: 'product', store: 'memory' }, hits: 2, misses: 2, stale: 0, errors: 0, hitRate: 0.5 });
    expect(m.series).toHaveLength(60);
    expect(m.series.reduce((n, b) => n + b.hits, 0)).toBe(2);
    expect(m.series.reduce((n, b) => n + b.misses, 0)).toBe(2);
    expect(m.load!.count).toBe(2);
    expect(m.load!.p50).toBeGreaterThanOrEqual(0);
    expect(m.load!.p99).toBeGreaterThanOrEqual(m.load!.p50);
    expect(data.stores).toEqual([expect.objectContaining({ name: 'memory' })]);
    expect(JSON.stringify(data)).not.toContain('VALUE-');
  });

  it('the window: reads land in 10 s buckets and leave after 10 minutes (on the given clock)', async () => {
    let now = 1_000_000_000_000;
    runtime = configureCache({ store: new MemoryStore() });
    handler = dashboard(runtime, { token: TOKEN, now: () => now });
    const c = new (catalogClass())();
    await c.get('a');
    now += 10_000;
    await c.get('a');
    await c.get('a');
    let series = handler.data().methods[0]!.series;
    expect(series.slice(-2).map((b) => [b.hits, b.misses])).toEqual([
      [0, 1],
      [2, 0],
    ]);
    expect(series.at(-1)!.t).toBe(Math.floor(now / 10_000) * 10_000);
    now += 600_000;
    series = handler.data().methods[0]!.series;
    expect(series.every((b) => b.hits === 0 && b.misses === 0)).toBe(true);
    expect(handler.data().methods[0]!.load).toBeNull();
    // the runtime's own counters are since start
    expect(handler.data().methods[0]).toMatchObject({ hits: 2, misses: 1 });
  });

  it('write-behind: pending, oldest age, retries and dead letters, their keys redacted unless showDeadLetterKeys', async () => {
    for (const showDeadLetterKeys of [false, true]) {
      const scheduler = new ManualScheduler({ random: () => 0.5 });
      runtime = configureCache({ store: new MemoryStore(), prefix: `dash-wb-${showDeadLetterKeys}` });
      handler = dashboard(runtime, { token: TOKEN, showDeadLetterKeys });
      class Repo {
        @WriteBehind({ namespace: 'users', key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 1000 }, retry: { attempts: 2, backoffMs: 10, onOutage: 'dead-letter' }, deadLetter: () => undefined })
        async save(_id: string, _secret: string): Promise<void> {
          throw new Error('database down: SECRET-ARG');
        }
      }
      const repo = new Repo();
      await repo.save('user-42', 'SECRET-ARG');
      expect(handler.data().writeBehind).toEqual([expect.objectContaining({ method: 'Repo.save', pending: 1 })]);
      await scheduler.runAll();
      const data = handler.data();
      expect(data.writeBehind[0]).toMatchObject({ method: 'Repo.save', pending: 0, retries: 1, deadLetters: 1 });
      expect(data.recentDeadLetters[0]).toMatchObject({ method: 'Repo.save', key: showDeadLetterKeys ? expect.stringContaining('user-42') : '[redacted]', error: 'Error' });
      const json = JSON.stringify(data);
      expect(json).not.toContain('SECRET-ARG');
      expect(json.includes('user-42')).toBe(showDeadLetterKeys);
      handler.close();
      await runtime.close();
    }
    runtime = handler = undefined;
  });

  it('mounts in Express under a path (app.use), with req.url relative to the mount', async () => {
    runtime = configureCache({ store: new MemoryStore() });
    handler = dashboard(runtime, { token: TOKEN });
    const app = express();
    app.use('/ops/cache', handler);
    const server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/cache/`;
    expect((await fetch(`${base}data.json`)).status).toBe(401);
    expect((await fetch(`${base}data.json`, { headers: auth })).headers.get('content-type')).toContain('application/json');
    expect((await fetch(base, { headers: auth })).headers.get('content-type')).toContain('text/html');
  });
});
