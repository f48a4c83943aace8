/**
 * `cachePlugin`: the HTTP cache as a Fastify plugin. `onRequest` reads the cache (a hit is
 * answered there, the handler never runs); on a miss the request goes on and `onSend` hands the
 * serialized payload to the cache. Registered with `skip-override` (as fastify-plugin does), so it
 * applies to every route of the instance it is registered on. Typed structurally: the package
 * does not need Fastify's types to compile.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpCache, notModified, NOT_MODIFIED_HEADERS, type HandlerResponse, type Served } from './http-cache-core.js';
import type { CachedResponse, HttpCacheOptions } from './options.js';

/** The parts of a Fastify request the plugin reads. */
export interface FastifyRequestLike {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

/** The parts of a Fastify reply the plugin uses. */
export interface FastifyReplyLike {
  statusCode: number;
  code(status: number): FastifyReplyLike;
  header(name: string, value: unknown): FastifyReplyLike;
  getHeaders(): Record<string, unknown>;
  removeHeader(name: string): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
  raw: { once(event: 'close', listener: () => void): unknown; writableEnded: boolean };
}

/** The parts of a Fastify instance the plugin uses. */
export interface FastifyInstanceLike {
  addHook(name: 'onRequest', hook: (request: any, reply: any, done: (error?: Error) => void) => void): unknown;
  addHook(name: 'onSend', hook: (request: any, reply: any, payload: any, done: (error: Error | null, payload?: unknown) => void) => void): unknown;
}

/** A Fastify plugin: `fastify.register(cachePlugin, options)`. */
export interface CachePlugin {
  (instance: FastifyInstanceLike, options: HttpCacheOptions<any> & Record<string, unknown>, done: (error?: Error) => void): void;
}

interface RequestState {
  before: Record<string, unknown>;
  /** set on the request that runs the handler: gives its payload to the cache */
  deliver?: (response: HandlerResponse<Uint8Array>) => void;
  fail?: (error: Error) => void;
  served?: Promise<Served<Uint8Array>>;
  /** the payload going out is the cache's own (a replay): onSend lets it through */
  replaying?: boolean;
}

// Options Fastify itself passes to every plugin; not ours to check
const FASTIFY_OPTIONS = new Set(['prefix', 'logLevel', 'logSerializers']);

/**
 * Caches the responses of every route of the instance it is registered on:
 * `await app.register(cachePlugin, { ttl: '1m' })`. Sets `x-cache: hit | miss | stale`.
 * @throws TypeError (through `register`) naming the option and quoting the value when an option is wrong
 */
export const cachePlugin: CachePlugin = (instance, options, done) => {
  let cache: HttpCache<FastifyRequestLike>;
  try {
    const own = Object.fromEntries(Object.entries(options ?? {}).filter(([name]) => !FASTIFY_OPTIONS.has(name)));
    cache = new HttpCache<FastifyRequestLike>(own, 'cachePlugin');
  } catch (error) {
    done(error as Error);
    return;
  }
  const states = new WeakMap<object, RequestState>();

  instance.addHook('onRequest', (request: FastifyRequestLike, reply: FastifyReplyLike, next) => {
    let plan;
    try {
      plan = cache.plan(request, { method: request.method, url: request.url, headers: request.headers });
    } catch (error) {
      next(error as Error);
      return;
    }
    if (plan.kind === 'bypass') {
      next();
      return;
    }
    const state: RequestState = { before: { ...reply.getHeaders() } };
    states.set(request, state);
    state.served = cache.serve<Uint8Array>(plan, () => {
      const captured = new Promise<HandlerResponse<Uint8Array>>((resolve, reject) => {
        state.deliver = resolve;
        state.fail = reject;
      });
      reply.raw.once('close', () => state.fail?.(new Error('cachekit/http: the client closed the connection before the response was complete')));
      next();
      return captured;
    });
    state.served.then(
      (served) => {
        if (state.deliver !== undefined) return; // this request runs the handler: onSend sends
        if (served.source === 'pass') {
          reply.header('x-cache', 'miss');
          next();
        } else if (served.source === 'hit' || served.source === 'stale') {
          state.replaying = true;
          replay(request, reply, served.response, served.source);
        }
      },
      (error: unknown) => {
        if (state.deliver === undefined) next(error as Error);
      },
    );
  });

  instance.addHook('onSend', (request: FastifyRequestLike, reply: FastifyReplyLike, payload: unknown, next) => {
    const state = states.get(request);
    if (state === undefined || state.replaying || state.deliver === undefined) {
      next(null, payload);
      return;
    }
    const deliver = state.deliver;
    state.deliver = () => undefined;
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : payload == null ? Buffer.alloc(0) : undefined;
    deliver({
      status: reply.statusCode,
      headers: reply.getHeaders() as Record<string, string | string[]>,
      body: body ?? Buffer.alloc(0),
      storable: body !== undefined && body.byteLength <= cache.maxBodyBytes, // a stream is not buffered
    });
    // a handler that sends synchronously reaches onSend before serve() has returned: read it a tick later
    void Promise.resolve()
      .then(() => state.served!)
      .then(
      (served) => {
        if (served.source === 'stale') {
          for (const name of Object.keys(reply.getHeaders())) reply.removeHeader(name);
          for (const [name, value] of Object.entries(state.before)) reply.header(name, value);
          for (const [name, value] of Object.entries(served.response.headers)) reply.header(name, value);
          reply.header('x-cache', 'stale');
          reply.code(served.response.status);
          next(null, toBytes(served.response.body));
        } else {
          reply.header('x-cache', 'miss');
          next(null, payload);
        }
      },
      () => {
        reply.header('x-cache', 'miss');
        next(null, payload);
      },
    );
  });
  done();
};

function replay(request: FastifyRequestLike, reply: FastifyReplyLike, response: CachedResponse<Uint8Array>, source: 'hit' | 'stale'): void {
  if (reply.raw.writableEnded) return;
  reply.header('x-cache', source);
  if (notModified(request.headers, response)) {
    for (const name of NOT_MODIFIED_HEADERS) if (response.headers[name] !== undefined) reply.header(name, response.headers[name]);
    reply.code(304).send();
    return;
  }
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  reply.code(response.status).send(toBytes(response.body));
}

function toBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body);
  const data = (body as { data?: number[] } | null)?.data;
  return Buffer.from(Array.isArray(data) ? data : []);
}

// fastify-plugin's marks: the hooks apply to the instance the plugin is registered on, not a child context
(cachePlugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(cachePlugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = 'cachekit-http';
