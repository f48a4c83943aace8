import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { scanAll } from '../helpers/redis.js';
import { ManualScheduler } from 'cachekit';
import { AppModule } from '../../samples/nestjs/app.module.js';
import { ShopDatabase } from '../../samples/nestjs/shop-database.js';
import { SHOP_DATABASE } from '../../samples/nestjs/tokens.js';

// The NestJS sample end to end through @nestjs/testing and real HTTP, on a MemoryStore and on
// Redis (REDIS_URL, set by the Jest global setup); then main.ts itself (node --import tsx, so the
// signal reaches the app's own process), stopped by SIGTERM.
const root = join(__dirname, '..', '..');
let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'cachekit-nest-sample-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const storedViews = (file: string, id: number): number => {
  const db = new ShopDatabase(file, 0);
  try {
    return db.views(id);
  } finally {
    db.close();
  }
};

describe.each([
  ['a MemoryStore', () => undefined],
  ['Redis (TieredStore)', () => process.env.REDIS_URL!],
])('samples/nestjs on %s', (_name, redisUrl) => {
  let app: INestApplication;
  let base: string;
  let db: ShopDatabase;
  let file: string;
  const prefix = `nest-sample-${process.pid}-${Date.now()}`;

  beforeAll(async () => {
    file = join(dir, `${prefix}-${redisUrl() ? 'redis' : 'memory'}.db`);
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule.register({ databaseFile: file, redisUrl: redisUrl(), cachePrefix: prefix, scheduler: new ManualScheduler() })],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    db = app.get(SHOP_DATABASE);
  });
  afterAll(() => app.close()); // idempotent: the last test closes it

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  it('@Cacheable: a product is read from SQLite once, then from the cache', async () => {
    expect(await call('GET', '/products/3')).toEqual({ status: 200, body: { id: 3, name: 'Product 3', priceCents: 1003 } });
    expect(await call('GET', '/products/3')).toEqual({ status: 200, body: { id: 3, name: 'Product 3', priceCents: 1003 } });
    expect(db.queries.productReads).toBe(1);
  });

  it('@WriteThrough: a saved product is served from the cache, equal to the row', async () => {
    expect(await call('PUT', '/products/3', { name: 'Lamp', priceCents: 4200 })).toEqual({ status: 200, body: { id: 3, name: 'Lamp', priceCents: 4200 } });
    expect(await call('GET', '/products/3')).toEqual({ status: 200, body: { id: 3, name: 'Lamp', priceCents: 4200 } });
    expect(db.queries).toMatchObject({ productReads: 1, productWrites: 1 });
    expect(db.product(3)).toEqual({ id: 3, name: 'Lamp', priceCents: 4200 });
  });

  it('@Invalidate: a deleted product is gone from the cache too', async () => {
    expect(await call('DELETE', '/products/3')).toEqual({ status: 204, body: undefined });
    expect(await call('GET', '/products/3')).toEqual({ status: 404, body: { statusCode: 404, message: 'no product 3', error: 'Not Found' } });
  });

  it('the cache entries live in the configured store', async () => {
    await call('GET', '/products/5');
    const url = redisUrl();
    if (url === undefined) return expect(db.queries.productReads).toBe(4); // 3, 3 again after the delete, 3 read directly, 5
    const redis = new Redis(url);
    try {
      // the whole keyspace (the shared test server holds other suites' keys too)
      const keys = await scanAll(redis, `${prefix}*`);
      expect(keys.some((key) => key.includes('product') && key.includes('5'))).toBe(true);
    } finally {
      redis.disconnect();
    }
  });

  it('@WriteBehind: views are queued (merged), and app.close() writes them into SQLite before the database closes', async () => {
    for (let i = 0; i < 3; i++) expect((await call('POST', '/products/7/views')).status).toBe(202);
    expect(await call('GET', '/products/7/views')).toEqual({ status: 200, body: { productId: 7, stored: 0 } });
    await app.close();
    expect(db.queries.viewWrites).toBe(1);
    expect(storedViews(file, 7)).toBe(3);
  });
});

describe('samples/nestjs/main.ts', () => {
  it('SIGTERM (enableShutdownHooks) drains the queued views into SQLite, then the process ends by the signal', async () => {
    const file = join(dir, 'main.db');
    const child = spawn(process.execPath, ['--import', 'tsx', 'samples/nestjs/main.ts'], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: 'samples/nestjs/tsconfig.json', PORT: '0', SHOP_DB: file, SHOP_HOLD_WRITES: '1', REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then(() => reject(new Error(`main.ts exited before listening\n${stdout}\n${stderr}`)));
    });
    for (let i = 0; i < 4; i++) expect((await fetch(`${url}/products/2/views`, { method: 'POST' })).status).toBe(202);
    expect(await (await fetch(`${url}/products/2/views`)).json()).toEqual({ productId: 2, stored: 0 });
    child.kill('SIGTERM');
    expect(await exited).toEqual([null, 'SIGTERM']);
    expect(stderr).toBe('');
    expect(storedViews(file, 2)).toBe(4);
  }, 60_000);
});
