/** Options of cachekit/http are checked when the middleware, plugin or interceptor is built. */
import Fastify from 'fastify';
import { Reflector } from '@nestjs/core';
import { cacheMiddleware, cachePlugin, keyOf } from 'cachekit/http';
import { CachekitInterceptor } from 'cachekit/nestjs';

describe('cachekit/http options', () => {
  it.each([
    [{ ttl: '5 minutes' }, "cacheMiddleware: options.ttl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got '5 minutes'"],
    [{ grace: -1 }, "cacheMiddleware: options.grace: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got -1 (number)"],
    [{ methods: 'GET' }, "cacheMiddleware: options.methods: expected a non-empty array of method names like ['GET', 'HEAD']; got 'GET'"],
    [{ vary: 'x-user' }, "cacheMiddleware: options.vary: expected a function (req) => string | number | undefined; got 'x-user'"],
    [{ namespace: '' }, "cacheMiddleware: options.namespace: expected a non-empty string; got ''"],
    [{ runtime: {} }, 'cacheMiddleware: options.runtime: expected a CacheRuntime (configureCache\'s result) or a function returning one; got {} (object)'],
    [{ maxBodyBytes: 1.5 }, 'cacheMiddleware: options.maxBodyBytes: expected an integer >= 0; got 1.5 (number)'],
    [{ headers: ['set-cookie'] }, "cacheMiddleware: options.headers: expected an array of lower-case header names other than 'set-cookie'; got [\"set-cookie\"] (object)"],
    [{ requestCacheControl: 'yes' }, "cacheMiddleware: options.requestCacheControl: expected a boolean; got 'yes'"],
    [{ tll: '5m' }, "cacheMiddleware: unknown option 'tll'; known options: ttl, grace, methods, vary, namespace, runtime, maxBodyBytes, headers, requestCacheControl"],
  ])('cacheMiddleware(%j) throws a TypeError naming the option and quoting the value', (options, message) => {
    expect(() => cacheMiddleware(options as never)).toThrow(new TypeError(message));
  });

  it('cachePlugin refuses a wrong option at register time (Fastify reports it from ready())', async () => {
    const app = Fastify();
    app.register(cachePlugin, { ttl: 'soon' } as never);
    await expect(app.ready()).rejects.toThrow("cachePlugin: options.ttl: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got 'soon'");
    await app.close();
  });

  it('CachekitInterceptor refuses a wrong option when constructed', () => {
    expect(() => new CachekitInterceptor(new Reflector(), { methods: [] })).toThrow(
      new TypeError("CachekitInterceptor: options.methods: expected a non-empty array of method names like ['GET', 'HEAD']; got [] (object)"),
    );
  });
});

describe('keyOf', () => {
  it('sorts query parameters by name, keeps the order of repeated ones, and appends the vary value', () => {
    expect(keyOf('GET', '/a?b=2&a=1&b=1', undefined)).toBe('GET /a?a=1&b=2&b=1');
    expect(keyOf('GET', '/a?', 'u1')).toBe('GET /a string:u1');
    expect(keyOf('GET', '/a', 7)).toBe('GET /a number:7');
    expect(keyOf('GET', '/a?x=a%20b', undefined)).toBe('GET /a?x=a+b');
  });
});
