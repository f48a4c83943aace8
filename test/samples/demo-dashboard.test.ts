/**
 * `npm run demo -- --dashboard`: the flag, and the dashboard server it starts (127.0.0.1, a random
 * token carried by the printed URL, 401 without it).
 */
import { configureCache, MemoryStore, type CacheRuntime } from 'cachekit';
import type { DashboardData } from 'cachekit/dashboard';
import { startDemoDashboard } from '../../samples/ecommerce/dashboard-server.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('npm run demo -- --dashboard', () => {
  // main.ts uses import.meta (ESM), which Jest's CommonJS mode cannot load: run it as `npm run demo` does
  const demo = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'samples/ecommerce/main.ts', ...args], { cwd: join(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000 });

  it('main.ts knows --dashboard and --dashboard-port (in --help; a malformed port exits 2 naming the flag)', () => {
    const help = demo('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--dashboard ');
    expect(help.stdout).toContain('--dashboard-port=N');
    const bad = demo('--dashboard', '--dashboard-port=x');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("--dashboard-port: expected a number; got 'x'");
  }, 120_000);

  it('serves the dashboard on 127.0.0.1 at the URL it returns (token included); 401 without the token', async () => {
    runtime = configureCache({ store: new MemoryStore() });
    const board = await startDemoDashboard(runtime);
    try {
      const url = new URL(board.url);
      expect(url.hostname).toBe('127.0.0.1');
      expect(url.pathname).toBe('/cachekit/');
      expect(url.searchParams.get('token')).toMatch(/^[\w-]{20,}$/);
      const page = await fetch(board.url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('cachekit dashboard');
      const data = await fetch(new URL(`data.json${url.search}`, url));
      expect(((await data.json()) as DashboardData).stores).toEqual([expect.objectContaining({ name: 'memory' })]);
      expect((await fetch(`${url.origin}/cachekit/`)).status).toBe(401);
    } finally {
      await board.close();
    }
  });
});
