/**
 * `CachekitInterceptor`: the HTTP cache of cachekit/http as a NestJS interceptor, with the
 * per-route decorators `@CacheTtl` and `@NoCache`. It caches what the handler returns (Nest
 * serializes it on every response, hit or miss), through the same core as `cacheMiddleware`
 * and `cachePlugin`: the same keys, options, rules and `x-cache` header. Works on
 * platform-express and platform-fastify.
 */
import { Inject, Injectable, Optional, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, mergeMap, of, type Observable } from 'rxjs';
import { HttpCache, type HandlerResponse, type HttpCacheOptions } from 'cachekit/http';
import type { Duration } from 'cachekit';

/** Injection token of the interceptor's options (`{ provide: CACHEKIT_HTTP_OPTIONS, useValue: { ttl: '1m' } }`). */
export const CACHEKIT_HTTP_OPTIONS = Symbol.for('cachekit.http.options');

const TTL_METADATA = 'cachekit:http:ttl';
const NO_CACHE_METADATA = 'cachekit:http:no-cache';


/**
 * The TTL of one route's (or every route of a controller's) cached responses, over the
 * interceptor's `ttl`: `@CacheTtl('5m')`, `@CacheTtl(30_000)`.
 * @throws TypeError quoting the value when it is not a duration
 */
export function CacheTtl(ttl: Duration): RouteDecorator {
  const ok = typeof ttl === 'number' ? Number.isFinite(ttl) && ttl >= 0 : typeof ttl === 'string' && /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.test(ttl.trim());
  if (!ok) throw new TypeError(`@CacheTtl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got ${describe(ttl)}`);
  return routeMetadata('@CacheTtl', TTL_METADATA, ttl);
}

/** Leaves one route (or every route of a controller) out of the interceptor's cache. */
export function NoCache(): RouteDecorator {
  return routeMetadata('@NoCache', NO_CACHE_METADATA, true);
}

/** A decorator for a controller method or a controller class, in both decorator modes (legacy, as Nest uses, and TC39 standard). */
export type RouteDecorator = (target: any, context?: any, descriptor?: PropertyDescriptor) => any;

// Metadata sits where Nest's Reflector reads it: on the method function (context.getHandler()) and on the class.
function routeMetadata(name: string, key: string, value: unknown): RouteDecorator {
  return (target, context, descriptor) => {
    if (descriptor !== undefined && typeof descriptor.value === 'function') {
      Reflect.defineMetadata(key, value, descriptor.value); // legacy method
      return descriptor;
    }
    if (typeof target === 'function' && (context === undefined || (typeof context === 'object' && (context.kind === 'class' || context.kind === 'method')))) {
      Reflect.defineMetadata(key, value, target); // legacy class, standard class or method
      return undefined;
    }
    throw new TypeError(`${name}: decorates a controller method or class`);
  };
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : `${String(value)} (${typeof value})`;
}

interface NestResponse {
  statusCode: number;
  getHeaders?(): Record<string, unknown>;
  header?(name: string, value: string): unknown;
  setHeader?(name: string, value: string): unknown;
}

/**
 * Caches the responses of GET (and HEAD) routes: `app.useGlobalInterceptors(new
 * CachekitInterceptor(app.get(Reflector), { ttl: '1m' }))`, `{ provide: APP_INTERCEPTOR, useClass:
 * CachekitInterceptor }` (options from `CACHEKIT_HTTP_OPTIONS`), or `@UseInterceptors(CachekitInterceptor)`.
 * A handler that throws an `HttpException` below 500 is not cached and its error goes out; one
 * that fails otherwise is answered by the stale response within `grace` (`x-cache: stale`).
 */
export class CachekitInterceptor implements NestInterceptor {
  private readonly cache: HttpCache<unknown>;

  /** @throws TypeError naming the option and quoting the value when an option is wrong */
  constructor(
    private readonly reflector: Reflector,
    options?: HttpCacheOptions<any>,
  ) {
    this.cache = new HttpCache(options, 'CachekitInterceptor');
  }

  /** Nest's interceptor hook. */
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(NO_CACHE_METADATA, targets) === true) return next.handle();
    const ttl = this.reflector.getAllAndOverride<Duration | undefined>(TTL_METADATA, targets);
    const http = context.switchToHttp();
    const req = http.getRequest<{ method: string; url: string; originalUrl?: string; headers: Record<string, string | string[] | undefined> }>();
    const res = http.getResponse<NestResponse>();
    const plan = this.cache.plan(req, { method: req.method, url: req.originalUrl ?? req.url, headers: req.headers }, ttl === undefined ? undefined : { ttl });
    if (plan.kind === 'bypass') return next.handle();
    const produce = async (): Promise<HandlerResponse<unknown>> => {
      try {
        const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
        const streamed = typeof body === 'object' && body !== null && (typeof (body as { pipe?: unknown }).pipe === 'function' || typeof (body as { getStream?: unknown }).getStream === 'function');
        return { status: res.statusCode, headers: (res.getHeaders?.() ?? {}) as Record<string, string | string[]>, body, storable: !streamed };
      } catch (error) {
        const status = (error as { getStatus?: () => number }).getStatus?.();
        if (typeof status === 'number' && status < 500) return { status, headers: {}, body: undefined, error }; // a client error: not stored, not a failure
        throw error;
      }
    };
    return from(this.cache.serve(plan, produce)).pipe(
      mergeMap((served) => {
        if (served.source === 'pass') {
          setHeader(res, 'x-cache', 'miss');
          return next.handle();
        }
        if (served.source === 'miss') {
          setHeader(res, 'x-cache', 'miss');
          if (served.own.error !== undefined) throw served.own.error;
          return of(served.own.body);
        }
        setHeader(res, 'x-cache', served.source);
        return of(served.response.body);
      }),
    );
  }
}

function setHeader(res: NestResponse, name: string, value: string): void {
  if (typeof res.header === 'function') res.header(name, value);
  else res.setHeader?.(name, value);
}

// Nest's dependency injection, declared without decorator syntax (this file compiles in either mode):
// constructor(reflector: Reflector, @Optional() @Inject(CACHEKIT_HTTP_OPTIONS) options?: HttpCacheOptions)
Injectable()(CachekitInterceptor);
Reflect.defineMetadata('design:paramtypes', [Reflector, Object], CachekitInterceptor);
Inject(CACHEKIT_HTTP_OPTIONS)(CachekitInterceptor, undefined, 1);
Optional()(CachekitInterceptor, undefined, 1);
