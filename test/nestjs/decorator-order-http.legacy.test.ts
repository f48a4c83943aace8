import 'reflect-metadata';
import {
  Controller, ForbiddenException, Get, HttpCode, Injectable, Param, Post, UseGuards, UseInterceptors,
  type CallHandler, type CanActivate, type ExecutionContext, type INestApplication, type NestInterceptor,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { tap, type Observable } from 'rxjs';
import { Cacheable, Invalidate } from 'cachekit';
import { CachekitModule } from 'cachekit/nestjs';

// Legacy decorators (Nest's); the legacy Jest project runs this file. Real HTTP on 127.0.0.1.

/** Refuses requests that carry `x-deny`. */
@Injectable()
class DenyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-deny']) throw new ForbiddenException('denied');
    return true;
  }
}

/** Marks the response with `x-intercepted`. */
@Injectable()
class MarkInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(tap(() => context.switchToHttp().getResponse<{ setHeader(n: string, v: string): void }>().setHeader('x-intercepted', 'yes')));
  }
}

@Controller('items')
class ItemsController {
  loads = { below: 0, above: 0 };

  /** Nest's decorators above ours (applied after it, on the wrapper). */
  @Get('above/:id')
  @UseGuards(DenyGuard)
  @UseInterceptors(MarkInterceptor)
  @Cacheable({ namespace: 'above', key: (id: string) => id })
  async above(@Param('id') id: string): Promise<{ id: string; load: number }> {
    return { id, load: ++this.loads.above };
  }

  /** Nest's decorators below ours (applied first, on the original method). */
  @Cacheable({ namespace: 'below', key: (id: string) => id })
  @Get('below/:id')
  @UseGuards(DenyGuard)
  @UseInterceptors(MarkInterceptor)
  async below(@Param('id') id: string): Promise<{ id: string; load: number }> {
    return { id, load: ++this.loads.below };
  }

  /** Mixed: route below, status code and guard above. */
  @HttpCode(202)
  @UseGuards(DenyGuard)
  @Invalidate({ namespace: 'below', key: (id: string) => id })
  @Post('below/:id/reset')
  async reset(@Param('id') _id: string): Promise<{ reset: true }> {
    return { reset: true };
  }
}

describe('cachekit decorators on a Nest controller, in either order, over HTTP (Express)', () => {
  let app: INestApplication;
  let base: string;
  let controller: ItemsController;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [CachekitModule.forRoot()], controllers: [ItemsController] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    controller = app.get(ItemsController);
  });
  afterAll(() => app.close());

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${base}${path}`, { headers });
    return { status: res.status, body: await res.json(), intercepted: res.headers.get('x-intercepted') };
  };

  it.each(['above', 'below'] as const)('%s: the route answers, the second request is a cache hit, the interceptor ran on both', async (order) => {
    expect(await get(`/items/${order}/a`)).toEqual({ status: 200, body: { id: 'a', load: 1 }, intercepted: 'yes' });
    expect(await get(`/items/${order}/a`)).toEqual({ status: 200, body: { id: 'a', load: 1 }, intercepted: 'yes' });
    expect(controller.loads[order]).toBe(1);
  });

  it.each(['above', 'below'] as const)('%s: the guard still refuses, before the method or the cache is reached', async (order) => {
    const before = controller.loads[order];
    expect(await get(`/items/${order}/z`, { 'x-deny': '1' })).toEqual({
      status: 403,
      body: { statusCode: 403, message: 'denied', error: 'Forbidden' },
      intercepted: null,
    });
    expect(controller.loads[order]).toBe(before);
  });

  it('mixed order: POST keeps its route, status code and guard, and invalidates the cached entry', async () => {
    await get('/items/below/m');
    expect(await get('/items/below/m')).toMatchObject({ body: { id: 'm', load: controller.loads.below } });
    const loadsBefore = controller.loads.below;
    const denied = await fetch(`${base}/items/below/m/reset`, { method: 'POST', headers: { 'x-deny': '1' } });
    expect(denied.status).toBe(403);
    const reset = await fetch(`${base}/items/below/m/reset`, { method: 'POST' });
    expect([reset.status, await reset.json()]).toEqual([202, { reset: true }]);
    expect(await get('/items/below/m')).toEqual({ status: 200, body: { id: 'm', load: loadsBefore + 1 }, intercepted: 'yes' });
  });
});
