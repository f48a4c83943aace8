/**
 * CachekitInterceptor in a Nest application (platform-express and platform-fastify) listening on 127.0.0.1.
 * The controller is decorated by calling Nest's decorators as functions: this project compiles
 * TC39 decorators, Nest's are legacy ones (a Nest app compiles them with experimentalDecorators).
 */
import { Controller, Get, Header, HttpException, Module, NotFoundException, Post, Res } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { INestApplication } from '@nestjs/common';
import { configureCache, ManualScheduler, MemoryStore, type CacheRuntime } from 'cachekit';
import { CachekitInterceptor, CacheTtl, NoCache, CACHEKIT_HTTP_OPTIONS } from 'cachekit/nestjs';
import { Gate } from '../helpers/gate.js';

const calls = new Map<string, number>();
const count = (route: string) => {
  const n = (calls.get(route) ?? 0) + 1;
  calls.set(route, n);
  return n;
};
let failing = false;
let gate: Gate | undefined;

class ItemsController {
  list() {
    return { n: count('list') };
  }
  short() {
    return { n: count('short') };
  }
  live() {
    return { n: count('live') };
  }
  create() {
    return { n: count('create') };
  }
  missing() {
    count('missing');
    throw new NotFoundException('no such item');
  }
  flaky() {
    const n = count('flaky');
    if (failing) throw new HttpException('database down', 503);
    return { n };
  }
  noStore() {
    return { n: count('noStore') };
  }
  cookie(res: { header(name: string, value: string): unknown }) {
    const n = count('cookie');
    res.header('set-cookie', `session=s${n}; Path=/`);
    return { n };
  }
  async gated() {
    const n = count('gated');
    await gate?.opened;
    return { n };
  }
}

const decorate = (decorators: Array<(...a: any[]) => any>, method: keyof ItemsController) => {
  const descriptor = Object.getOwnPropertyDescriptor(ItemsController.prototype, method)!;
  for (const decorator of decorators.reverse()) decorator(ItemsController.prototype, method, descriptor);
  Object.defineProperty(ItemsController.prototype, method, descriptor);
};
decorate([Get()], 'list');
decorate([Get('short'), CacheTtl('10s')], 'short');
decorate([Get('live'), NoCache()], 'live');
decorate([Post()], 'create');
decorate([Get('missing')], 'missing');
decorate([Get('flaky')], 'flaky');
decorate([Get('gated')], 'gated');
decorate([Get('no-store'), Header('Cache-Control', 'no-store')], 'noStore');
decorate([Get('cookie')], 'cookie');
Res({ passthrough: true })(ItemsController.prototype, 'cookie', 0);
Controller('items')(ItemsController);

class AppModule {}
Module({
  controllers: [ItemsController],
  providers: [
    { provide: APP_INTERCEPTOR, useClass: CachekitInterceptor },
    { provide: CACHEKIT_HTTP_OPTIONS, useValue: { ttl: '1m', grace: '1h' } },
  ],
})(AppModule);

const platforms = [
  ['platform-express', () => undefined],
  ['platform-fastify', () => new FastifyAdapter()],
] as const;

describe.each(platforms)('CachekitInterceptor (NestJS, %s, real HTTP)', (_platform, adapter) => {
  let app: INestApplication;
  let url: string;
  let clock: ManualScheduler;
  let runtime: CacheRuntime;

  beforeEach(async () => {
    calls.clear();
    failing = false;
    clock = new ManualScheduler({ now: Date.now() });
    runtime = configureCache({ scheduler: clock, store: new MemoryStore({ clock }), graceBackoff: 0 });
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    const platform = adapter();
    app = platform === undefined ? moduleRef.createNestApplication({ logger: false }) : moduleRef.createNestApplication<NestFastifyApplication>(platform, { logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterEach(async () => {
    await app.close();
    await runtime.close();
  });

  const get = async (path: string, init: RequestInit = {}) => {
    const response = await fetch(`${url}${path}`, init);
    const text = await response.text();
    return { status: response.status, xCache: response.headers.get('x-cache'), body: text === '' ? undefined : JSON.parse(text) };
  };

  it('misses, then hits with the same body; the query order does not matter', async () => {
    const a = await get('/items?b=2&a=1');
    const b = await get('/items?a=1&b=2');
    expect([a.xCache, b.xCache]).toEqual(['miss', 'hit']);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(b.body).toEqual({ n: 1 });
  });

  it('@CacheTtl sets the route TTL over the interceptor ttl', async () => {
    await get('/items');
    await get('/items/short');
    await clock.advance(11_000);
    expect((await get('/items/short')).xCache).toBe('miss');
    expect((await get('/items')).xCache).toBe('hit');
    expect(calls.get('short')).toBe(2);
  });

  it('@NoCache routes are not cached and get no x-cache header', async () => {
    const a = await get('/items/live');
    const b = await get('/items/live');
    expect([a.xCache, b.xCache]).toEqual([null, null]);
    expect(b.body).toEqual({ n: 2 });
  });

  it('POST is not cached', async () => {
    const a = await get('/items', { method: 'POST' });
    const b = await get('/items', { method: 'POST' });
    expect([a.status, b.status, a.xCache]).toEqual([201, 201, null]);
    expect(b.body).toEqual({ n: 2 });
  });

  it('an HttpException below 500 goes out as it is and is not cached', async () => {
    const a = await get('/items/missing');
    const b = await get('/items/missing');
    expect([a.status, b.status]).toEqual([404, 404]);
    expect(b.body).toEqual({ statusCode: 404, error: 'Not Found', message: 'no such item' });
    expect(calls.get('missing')).toBe(2);
  });

  it('within grace, a failing handler is answered by the stale response (x-cache: stale); past grace its error goes out', async () => {
    await get('/items/flaky');
    await clock.advance(61_000);
    failing = true;
    const stale = await get('/items/flaky');
    expect([stale.status, stale.xCache, stale.body]).toEqual([200, 'stale', { n: 1 }]);
    await clock.advance(3_600_000);
    const failed = await get('/items/flaky');
    expect([failed.status, failed.body.message]).toEqual([503, 'database down']);
  });

  it('a response with Cache-Control: no-store (@Header) is not stored', async () => {
    const a = await get('/items/no-store');
    const b = await get('/items/no-store');
    expect([a.xCache, b.xCache, b.body]).toEqual(['miss', 'miss', { n: 2 }]);
  });

  it('a response that sets a cookie is not stored; the cookie is never replayed', async () => {
    const a = await fetch(`${url}/items/cookie`);
    const b = await fetch(`${url}/items/cookie`);
    expect([a.headers.get('x-cache'), b.headers.get('x-cache')]).toEqual(['miss', 'miss']);
    expect([a.headers.get('set-cookie'), b.headers.get('set-cookie')]).toEqual(['session=s1; Path=/', 'session=s2; Path=/']);
    expect(await b.json()).toEqual({ n: 2 });
  });

  it('concurrent identical requests run the handler once', async () => {
    gate = new Gate();
    const started = new Promise<void>((resolve) => {
      let n = 0;
      const off = runtime.on('miss', (event) => {
        if (event.key.includes('/items/gated') && ++n === 3) {
          off();
          resolve();
        }
      });
    });
    const replies = Promise.all([get('/items/gated'), get('/items/gated'), get('/items/gated')]);
    await started;
    gate.open();
    expect((await replies).map((r) => r.body)).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
    expect(calls.get('gated')).toBe(1);
    gate = undefined;
  });
});

describe('CacheTtl and NoCache', () => {
  it('refuse what is not a duration, quoting it', () => {
    expect(() => CacheTtl('5 minutes' as never)).toThrow(new TypeError("@CacheTtl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got '5 minutes'"));
    expect(() => CacheTtl(-1)).toThrow(TypeError);
  });
  it('put their metadata on the method in standard decorator mode too', () => {
    class C {
      @CacheTtl('5m')
      a() {}
      @NoCache()
      b() {}
    }
    expect(Reflect.getMetadata('cachekit:http:ttl', C.prototype.a)).toBe('5m');
    expect(Reflect.getMetadata('cachekit:http:no-cache', C.prototype.b)).toBe(true);
  });
});
