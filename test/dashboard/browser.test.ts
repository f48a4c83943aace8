/**
 * The dashboard page in real headless Chromium (Debian's `chromium`, driven by puppeteer-core):
 * it loads with the token, its chart updates after calls, a screenshot goes to test/artifacts/
 * and is checked for content (decoded: many colors, and the chart's line color present).
 * Without Chromium this test fails with the install hint; it never skips.
 */
import { Cacheable, configureCache, MemoryStore, type CacheRuntime } from 'cachekit';
import { dashboard, type DashboardHandler } from 'cachekit/dashboard';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser } from 'puppeteer-core';
import { colorCounts, decodePng } from './png.js';
import { serve } from './serve.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', 'artifacts');
const TOKEN = 'browser-test-token';

let runtime: CacheRuntime | undefined;
let handler: DashboardHandler | undefined;
let stop: (() => Promise<void>) | undefined;
let browser: Browser | undefined;
afterEach(async () => {
  await browser?.close();
  handler?.close();
  await stop?.();
  await runtime?.close();
  browser = runtime = handler = stop = undefined;
});

it('headless Chromium: the page loads, the chart updates after calls, the screenshot has content', async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  runtime = configureCache({ store: new MemoryStore() });
  handler = dashboard(runtime, { token: TOKEN, refreshMs: 100 });
  const served = await serve(handler);
  stop = served.close;
  class Catalog {
    @Cacheable({ namespace: 'product', key: (id: string) => id })
    async get(id: string): Promise<string> {
      return `row-${id}`;
    }
  }
  class Pricing {
    @Cacheable({ namespace: 'price', key: (id: string) => id })
    async price(id: string): Promise<number> {
      return id.length;
    }
  }

  browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const page = await browser.newPage();
  await page.setViewport({ width: 900, height: 860 });
  // without the token, the page is refused
  const refused = await page.goto(served.base, { waitUntil: 'load' });
  expect(refused!.status()).toBe(401);

  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') failures.push(message.text());
  });

  const response = await page.goto(`${served.base}?token=${encodeURIComponent(TOKEN)}`, { waitUntil: 'load' });
  expect(response!.status()).toBe(200);
  await page.waitForFunction("Number(document.body.getAttribute('data-updates')) >= 1", { timeout: 10_000 });
  expect(await page.$eval('#chart svg', (svg) => svg.getAttribute('data-reads'))).toBe('0');
  expect(await page.$$('#chart polyline')).toHaveLength(0);

  const catalog = new Catalog();
  const pricing = new Pricing();
  for (let i = 0; i < 20; i++) await catalog.get(String(i % 4));
  for (let i = 0; i < 10; i++) await pricing.price(String(i % 5));

  await page.waitForFunction("document.querySelectorAll('#chart polyline').length === 2 && document.querySelector('#chart svg').getAttribute('data-reads') === '30'", { timeout: 10_000 });
  const rows = await page.$$eval('#methods tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  expect(rows.map((r) => r.slice(0, 8))).toEqual([
    ['Catalog.get', 'Cacheable', 'memory', '80.0%', '16', '4', '0', '0'],
    ['Pricing.price', 'Cacheable', 'memory', '50.0%', '5', '5', '0', '0'],
  ]);
  expect(await page.$eval('#stores', (el) => el.textContent)).toContain('memory');
  expect(await page.$eval('#status', (el) => el.textContent)).toMatch(/^updated /);
  expect(await page.content()).not.toContain('row-');
  expect(failures).toEqual([]);

  mkdirSync(ARTIFACTS, { recursive: true });
  const file = join(ARTIFACTS, 'dashboard.png');
  await page.screenshot({ path: file, fullPage: true });
  const pixels = decodePng(readFileSync(file));
  expect(pixels.width).toBe(900);
  const counts = colorCounts(pixels, [0x25, 0x63, 0xeb]);
  // a blank render has 1 color; text, tables and the chart's antialiased lines give hundreds
  expect(counts.distinct).toBeGreaterThan(50);
  // the first method's line and points (#2563eb) are drawn
  expect(counts.near).toBeGreaterThan(100);
}, 60_000);
