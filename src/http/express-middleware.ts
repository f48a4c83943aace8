/**
 * `cacheMiddleware`: the HTTP cache as Express (or plain Node `http`) middleware. On a miss it
 * buffers what the handler writes (`res.writeHead`/`write`/`end`, which `res.send`, `res.json`
 * and piped streams all end in), then sends it; a body past `maxBodyBytes`, a `text/event-stream`
 * and a response whose handler calls `flushHeaders()` are streamed on and not stored.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpCache, notModified, NOT_MODIFIED_HEADERS, type CachePlan, type HandlerResponse } from './http-cache-core.js';
import type { CachedResponse, HttpCacheOptions } from './options.js';

/** A Connect/Express middleware: `(req, res, next)`. */
export type CacheMiddleware<Req extends IncomingMessage = IncomingMessage> = (req: Req, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Caches the responses of the routes after it: `app.use(cacheMiddleware({ ttl: '1m' }))`, or on
 * one route: `app.get('/products', cacheMiddleware({ ttl: '5m' }), handler)`. Sets
 * `x-cache: hit | miss | stale` on the requests it considers.
 * @throws TypeError naming the option and quoting the value when an option is wrong
 */
export function cacheMiddleware<Req extends IncomingMessage = IncomingMessage>(options?: HttpCacheOptions<Req>): CacheMiddleware<Req> {
  const cache = new HttpCache<Req>(options, 'cacheMiddleware');
  return (req, res, next) => {
    let plan: CachePlan;
    try {
      const url = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      plan = cache.plan(req, { method: req.method ?? 'GET', url, headers: req.headers });
    } catch (error) {
      next(error);
      return;
    }
    if (plan.kind === 'bypass') {
      next();
      return;
    }
    const before = res.getHeaders();
    let capture: Capture | undefined;
    cache
      .serve<Uint8Array>(plan, () => {
        capture = new Capture(res, cache.maxBodyBytes);
        next();
        return capture.done;
      })
      .then(
        (served) => {
          if (served.source === 'pass') {
            res.setHeader('x-cache', 'miss');
            next();
          } else if (served.source === 'miss') {
            if (!served.own.sent) capture!.release('miss');
          } else {
            capture?.discard(before);
            replay(req, res, served.response, served.source);
          }
        },
        (error: unknown) => {
          // the handler's response could not be captured (the client went away): nothing to send
          if (capture === undefined) next(error);
        },
      );
  };
}

function replay(req: IncomingMessage, res: ServerResponse, response: CachedResponse<Uint8Array>, source: 'hit' | 'stale'): void {
  if (res.headersSent || res.writableEnded) return;
  const body = toBytes(response.body);
  res.setHeader('x-cache', source);
  if (notModified(req.headers, response)) {
    for (const name of NOT_MODIFIED_HEADERS) if (response.headers[name] !== undefined) res.setHeader(name, response.headers[name]!);
    res.statusCode = 304;
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value);
  res.setHeader('content-length', body.byteLength);
  res.statusCode = response.status;
  res.end(body);
}

// msgpack and copies give a Buffer back, a JSON serializer a { type, data } object
function toBytes(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (typeof body === 'string') return Buffer.from(body);
  const data = (body as { data?: number[] } | null)?.data;
  return Buffer.from(Array.isArray(data) ? data : []);
}

type Callback = (error?: Error | null) => void;

/** Holds what the handler writes until the cache decides what goes out. */
class Capture {
  readonly done: Promise<HandlerResponse<Uint8Array>>;
  private resolve!: (response: HandlerResponse<Uint8Array>) => void;
  private reject!: (error: Error) => void;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private status: number | undefined;
  private streaming = false;
  private finished = false;
  private readonly original: Pick<ServerResponse, 'writeHead' | 'write' | 'end' | 'flushHeaders'>;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBodyBytes: number,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.original = { writeHead: res.writeHead, write: res.write, end: res.end, flushHeaders: res.flushHeaders };
    // a handler that flushes its headers (server-sent events, long polls) wants them out now: not cached
    res.flushHeaders = () => {
      if (!this.streaming) this.streamOn();
      this.original.flushHeaders.call(res);
    };
    res.writeHead = ((status: number, ...rest: unknown[]) => {
      this.status = status;
      const headers = rest.find((r) => typeof r === 'object' && r !== null) as Record<string, unknown> | unknown[] | undefined;
      if (Array.isArray(headers)) for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(String(headers[i]), headers[i + 1] as string);
      else if (headers) for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value as string);
      return res;
    }) as ServerResponse['writeHead'];
    res.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
      if (!this.streaming && String(res.getHeader('content-type') ?? '').startsWith('text/event-stream')) this.streamOn();
      this.take(chunk, encoding);
      const cb = typeof encoding === 'function' ? encoding : callback;
      if (typeof cb === 'function') process.nextTick(cb as Callback);
      return true;
    }) as ServerResponse['write'];
    res.end = ((chunk?: unknown, encoding?: unknown, callback?: unknown) => {
      if (typeof chunk === 'function') callback = chunk;
      else {
        if (typeof encoding === 'function') callback = encoding;
        if (chunk !== undefined && chunk !== null) this.take(chunk, encoding);
      }
      this.finish(typeof callback === 'function' ? (callback as Callback) : undefined);
      return res;
    }) as ServerResponse['end'];
    res.once('close', () => {
      if (!this.finished) this.reject(new Error('cachekit/http: the client closed the connection before the response was complete'));
    });
  }

  /** Sends the captured response. */
  release(source: 'miss'): void {
    this.restore();
    if (this.res.headersSent || this.res.writableEnded) return;
    const body = Buffer.concat(this.chunks);
    this.res.setHeader('x-cache', source);
    if (!this.res.hasHeader('content-length') && !this.res.hasHeader('transfer-encoding')) this.res.setHeader('content-length', body.byteLength);
    this.res.statusCode = this.status ?? this.res.statusCode;
    this.res.end(body);
  }

  /** Forgets the captured response (a stale one goes out instead): the headers it set are removed. */
  discard(before: Record<string, unknown>): void {
    this.restore();
    if (this.res.headersSent) return;
    for (const name of this.res.getHeaderNames()) this.res.removeHeader(name);
    for (const [name, value] of Object.entries(before)) if (value !== undefined) this.res.setHeader(name, value as string);
  }

  private restore(): void {
    this.res.writeHead = this.original.writeHead;
    this.res.write = this.original.write;
    this.res.end = this.original.end;
    this.res.flushHeaders = this.original.flushHeaders;
  }

  private take(chunk: unknown, encoding: unknown): void {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : Buffer.from(chunk as Uint8Array);
    if (this.streaming) {
      (this.original.write as (chunk: Buffer) => boolean).call(this.res, bytes);
      return;
    }
    this.chunks.push(bytes);
    this.size += bytes.byteLength;
    if (this.size > this.maxBodyBytes) this.streamOn();
  }

  // too large to store, or a stream of events: send what came so far and let the rest through
  private streamOn(): void {
    this.streaming = true;
    this.res.setHeader('x-cache', 'miss');
    this.original.writeHead.call(this.res, this.status ?? this.res.statusCode);
    for (const chunk of this.chunks.splice(0)) (this.original.write as (chunk: Buffer) => boolean).call(this.res, chunk);
    // settled now, not at the end: requests waiting on this load (an event stream may never end) run their own
    this.resolve({ status: this.status ?? this.res.statusCode, headers: this.res.getHeaders() as Record<string, string | string[]>, body: new Uint8Array(0), sent: true, storable: false });
  }

  private finish(callback: Callback | undefined): void {
    if (this.finished) return;
    this.finished = true;
    const status = this.status ?? this.res.statusCode;
    if (this.streaming) {
      this.restore();
      this.res.end(callback);
      return;
    }
    if (callback) this.res.once('finish', () => callback());
    this.resolve({ status, headers: this.res.getHeaders() as Record<string, string | string[]>, body: Buffer.concat(this.chunks) });
  }
}
