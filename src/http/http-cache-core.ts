/**
 * The one implementation behind `cacheMiddleware` (Express), `cachePlugin` (Fastify) and
 * `CachekitInterceptor` (NestJS): what is cacheable, the key, and the read through
 * `runtime.cache(namespace).wrap`, so responses share cachekit's keys, leases, stores, grace,
 * single-flight and stats. The adapters only capture a response and replay one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { getCacheRuntime, type CacheHandle, type CacheRuntime, type Duration } from 'cachekit';
import { HTTP_CACHE_OPTIONS, STORED_HEADERS, type CachedResponse, type HttpCacheOptions } from './options.js';
import { checkDuration, checkKnownOptions, quote } from './option-checks.js';

/** What the adapter knows of a request. */
export interface RequestLine {
  method: string;
  /** Path and query, as received (`/items?b=2&a=1`); for Express the `originalUrl`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

/** Per-route settings (NestJS's `@CacheTtl`). */
export interface RouteSettings {
  ttl?: Duration;
}

/** What the cache will do with a request. */
export type CachePlan =
  | { kind: 'bypass' }
  /** read through the cache (GET...) */
  | { kind: 'read'; key: string; ttl: Duration | undefined }
  /** answer from the GET entry if there is one, else run the handler (HEAD) */
  | { kind: 'peek'; key: string }
  /** run the handler and store its response (request `no-cache`) */
  | { kind: 'refresh'; key: string; ttl: Duration | undefined };

/** The handler's response as an adapter captured it. */
export interface HandlerResponse<B> extends CachedResponse<B> {
  /** false when the adapter cannot store it (a stream, an oversized body). */
  storable?: boolean;
  /** true when the adapter already sent it (streamed past `maxBodyBytes`): nothing else may be sent. */
  sent?: boolean;
  /** The error the handler threw with a 4xx status (NestJS): the caller rethrows it; never stored. */
  error?: unknown;
}

/**
 * How a request was served:
 * - `hit` / `stale`: replay `response` (`x-cache: hit | stale`)
 * - `miss`: the handler of this request ran; send `own` (`x-cache: miss`)
 * - `pass`: run the handler without the cache (the response another request loaded was not storable, or that load failed)
 */
export type Served<B> =
  | { source: 'hit' | 'stale'; response: CachedResponse<B> }
  | { source: 'miss'; own: HandlerResponse<B> }
  | { source: 'pass' };

/** Thrown inside the loader when the handler failed (5xx): the read may then serve a stale entry. */
class HandlerFailed extends Error {
  constructor(readonly status: number) {
    super(`the handler answered ${status}`);
  }
}

const staleReads = new AsyncLocalStorage<{ stale: boolean; label: string }>();
const listening = new WeakSet<CacheRuntime>();

const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** The shared HTTP cache: built once per middleware, plugin or interceptor, with checked options. */
export class HttpCache<Req = any> {
  readonly namespace: string;
  readonly maxBodyBytes: number;
  private readonly methods: ReadonlySet<string>;
  private readonly storedHeaders: readonly string[];
  private readonly handles = new WeakMap<CacheRuntime, CacheHandle<CachedResponse<any> | null>>();
  private readonly options: HttpCacheOptions<Req>;

  /** @throws TypeError naming the option (`<where>: options.<name>`) and quoting the value */
  constructor(options: HttpCacheOptions<Req> | undefined, where: string) {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new TypeError(`${where}: options must be an object; got ${quote(options)}`);
    }
    const o = options ?? {};
    checkKnownOptions(where, o, HTTP_CACHE_OPTIONS);
    const at = (name: string) => `${where}: options.${name}`;
    if (o.ttl !== undefined) checkDuration(o.ttl, at('ttl'));
    if (o.grace !== undefined) checkDuration(o.grace, at('grace'));
    if (o.methods !== undefined && (!Array.isArray(o.methods) || o.methods.length === 0 || o.methods.some((m) => typeof m !== 'string' || !/^[A-Za-z]+$/.test(m)))) {
      throw new TypeError(`${at('methods')}: expected a non-empty array of method names like ['GET', 'HEAD']; got ${quote(o.methods)}`);
    }
    if (o.vary !== undefined && typeof o.vary !== 'function') throw new TypeError(`${at('vary')}: expected a function (req) => string | number | undefined; got ${quote(o.vary)}`);
    if (o.namespace !== undefined && (typeof o.namespace !== 'string' || o.namespace === '')) throw new TypeError(`${at('namespace')}: expected a non-empty string; got ${quote(o.namespace)}`);
    if (o.runtime !== undefined && typeof o.runtime !== 'function' && (typeof o.runtime !== 'object' || o.runtime === null || typeof (o.runtime as CacheRuntime).cache !== 'function')) {
      throw new TypeError(`${at('runtime')}: expected a CacheRuntime (configureCache's result) or a function returning one; got ${quote(o.runtime)}`);
    }
    if (o.maxBodyBytes !== undefined && (typeof o.maxBodyBytes !== 'number' || !Number.isSafeInteger(o.maxBodyBytes) || o.maxBodyBytes < 0)) {
      throw new TypeError(`${at('maxBodyBytes')}: expected an integer >= 0; got ${quote(o.maxBodyBytes)}`);
    }
    if (o.headers !== undefined && (!Array.isArray(o.headers) || o.headers.some((h) => typeof h !== 'string' || !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(h) || h === 'set-cookie'))) {
      throw new TypeError(`${at('headers')}: expected an array of lower-case header names other than 'set-cookie'; got ${quote(o.headers)}`);
    }
    if (o.requestCacheControl !== undefined && typeof o.requestCacheControl !== 'boolean') throw new TypeError(`${at('requestCacheControl')}: expected a boolean; got ${quote(o.requestCacheControl)}`);
    this.options = o;
    this.namespace = o.namespace ?? 'http';
    this.maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.methods = new Set((o.methods ?? ['GET', 'HEAD']).map((m) => m.toUpperCase()));
    this.storedHeaders = [...new Set([...STORED_HEADERS, ...(o.headers ?? [])])];
  }

  /** What to do with a request: bypass the cache, read through it, peek (HEAD) or refresh. */
  plan(req: Req, line: RequestLine, route?: RouteSettings): CachePlan {
    const method = line.method.toUpperCase();
    if (!this.methods.has(method)) return { kind: 'bypass' };
    // a range or a conditional on a precondition wants a part or a check, not the stored whole
    if (line.headers.range !== undefined || line.headers['if-match'] !== undefined || line.headers['if-unmodified-since'] !== undefined) return { kind: 'bypass' };
    const vary = this.options.vary === undefined ? undefined : this.options.vary(req);
    if (vary !== undefined && typeof vary !== 'string' && typeof vary !== 'number') {
      throw new TypeError(`cachekit/http: options.vary must return a string, a number or undefined; got ${quote(vary)}`);
    }
    // credentials without a vary function would share one user's response with every user
    if (this.options.vary === undefined && line.headers.authorization !== undefined) return { kind: 'bypass' };
    let refresh = false;
    if (this.options.requestCacheControl !== false) {
      const directives = cacheControl(line.headers['cache-control']);
      if (directives.has('no-store')) return { kind: 'bypass' };
      refresh = directives.has('no-cache') || (line.headers['cache-control'] === undefined && headerText(line.headers.pragma).toLowerCase().includes('no-cache'));
    }
    const key = keyOf(method === 'HEAD' ? 'GET' : method, line.url, vary);
    const ttl = route?.ttl ?? this.options.ttl;
    if (method === 'HEAD') return refresh ? { kind: 'bypass' } : { kind: 'peek', key };
    return refresh ? { kind: 'refresh', key, ttl } : { kind: 'read', key, ttl };
  }

  /**
   * Serves a planned request. `produce` runs this request's handler and captures its response;
   * it is called at most once, and not at all on a hit or when another request's load is joined.
   * @throws what `produce` threw, when no stale response could stand in
   */
  async serve<B>(plan: Exclude<CachePlan, { kind: 'bypass' }>, produce: () => Promise<HandlerResponse<B>>): Promise<Served<B>> {
    const runtime = this.runtime();
    const handle = this.handle<B>(runtime);
    if (plan.kind === 'peek') {
      const found = await handle.get(plan.key);
      return found === undefined || found === null ? { source: 'pass' } : { source: 'hit', response: found };
    }
    if (plan.kind === 'refresh') {
      const own = await produce();
      if (this.storable(own)) await handle.set(plan.key, this.record(own), this.setOptions(plan.ttl)).catch(() => undefined); // reported by the runtime
      return { source: 'miss', own };
    }
    this.listenForStale(runtime);
    let ownRun: Promise<HandlerResponse<B>> | undefined;
    const token = { stale: false, label: `cache(${this.namespace})` };
    const loader = async (): Promise<CachedResponse<B> | null> => {
      ownRun = produce();
      const own = await ownRun;
      if (own.sent || own.error !== undefined) return null;
      if (own.status >= 500) throw new HandlerFailed(own.status);
      return this.storable(own) ? this.record(own) : null;
    };
    let value: CachedResponse<B> | null;
    try {
      value = await staleReads.run(token, () => handle.wrap(plan.key, loader, this.wrapOptions(plan.ttl)));
    } catch {
      if (ownRun === undefined) return { source: 'pass' }; // another request's load failed: run our own handler
      return { source: 'miss', own: await ownRun };
    }
    if (ownRun !== undefined) {
      // this request led the load: its own response goes out unless it failed and a stale one stands in
      let own: HandlerResponse<B>;
      try {
        own = await ownRun;
      } catch (error) {
        if (value !== null) return { source: 'stale', response: value };
        throw error;
      }
      if (value !== null && !own.sent && own.error === undefined && own.status >= 500) return { source: 'stale', response: value };
      return { source: 'miss', own };
    }
    if (value === null) return { source: 'pass' };
    return { source: token.stale ? 'stale' : 'hit', response: value };
  }

  /** Whether a response may be stored: 2xx (not 206), no `no-store` / `private` / `no-cache`, no cookie, no `Vary: *`, within `maxBodyBytes`. */
  storable(own: HandlerResponse<unknown>): boolean {
    if (own.storable === false || own.sent || own.error !== undefined) return false;
    if (own.status < 200 || own.status > 299 || own.status === 206) return false;
    const directives = cacheControl(own.headers['cache-control']);
    if (directives.has('no-store') || directives.has('private') || directives.has('no-cache')) return false;
    if (own.headers['set-cookie'] !== undefined) return false;
    if (headerText(own.headers.vary).split(',').some((v) => v.trim() === '*')) return false;
    const body = own.body as unknown;
    if (typeof body === 'string' && Buffer.byteLength(body) > this.maxBodyBytes) return false;
    if (body instanceof Uint8Array && body.byteLength > this.maxBodyBytes) return false;
    return true;
  }

  /** The allow-listed headers of a response (lower-case names). */
  pickHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
    const picked: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      const lower = name.toLowerCase();
      if (value === undefined || !this.storedHeaders.includes(lower)) continue;
      picked[lower] = Array.isArray(value) ? value.map(String) : String(value);
    }
    return picked;
  }

  private record<B>(own: HandlerResponse<B>): CachedResponse<B> {
    return { status: own.status, headers: this.pickHeaders(own.headers), body: own.body };
  }

  private runtime(): CacheRuntime {
    const r = this.options.runtime;
    return r === undefined ? getCacheRuntime() : typeof r === 'function' ? r() : r;
  }

  // null: a response not to store (`cacheNull: false` keeps it out of the store)
  private handle<B>(runtime: CacheRuntime): CacheHandle<CachedResponse<B> | null> {
    let handle = this.handles.get(runtime);
    if (handle === undefined) this.handles.set(runtime, (handle = runtime.cache<CachedResponse<any> | null>(this.namespace)));
    return handle as CacheHandle<CachedResponse<B> | null>;
  }

  private wrapOptions(ttl: Duration | undefined) {
    return { cacheNull: false, ...(ttl === undefined ? {} : { ttl }), ...(this.options.grace === undefined ? {} : { grace: this.options.grace }) };
  }

  private setOptions(ttl: Duration | undefined) {
    return { ...(ttl === undefined ? {} : { ttl }), ...(this.options.grace === undefined ? {} : { grace: this.options.grace }) };
  }

  // A hit served stale without calling the loader (grace backoff) is only told by the runtime's
  // `stale` event, emitted inside the read: the request's async context says which request it was.
  private listenForStale(runtime: CacheRuntime): void {
    if (listening.has(runtime)) return;
    listening.add(runtime);
    runtime.on('stale', (event) => {
      const token = staleReads.getStore();
      if (token !== undefined && event.method === token.label) token.stale = true;
    });
  }
}

/** The key of a request: method, path, the query sorted by name (values of one name keep their order), and the vary value. */
export function keyOf(method: string, url: string, vary: string | number | undefined): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  let query = '';
  if (q >= 0 && q < url.length - 1) {
    const params = [...new URLSearchParams(url.slice(q + 1))];
    params.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)); // stable: repeated names keep their order
    query = new URLSearchParams(params).toString();
  }
  // paths and encoded queries carry no space: the vary value after one is unambiguous
  return `${method} ${path}${query === '' ? '' : `?${query}`}${vary === undefined ? '' : ` ${typeof vary}:${vary}`}`;
}

/** Whether the request's `If-None-Match` matches the stored ETag (weak comparison): answer 304. */
export function notModified(headers: RequestLine['headers'], response: CachedResponse<unknown>): boolean {
  const condition = headerText(headers['if-none-match']);
  const etag = headerText(response.headers.etag);
  if (condition === '' || etag === '') return false;
  if (condition.trim() === '*') return true;
  const weak = (tag: string) => tag.trim().replace(/^W\//, '');
  return condition.split(',').some((tag) => weak(tag) === weak(etag));
}

/** Headers a 304 repeats from the stored response. */
export const NOT_MODIFIED_HEADERS = ['cache-control', 'content-location', 'etag', 'expires', 'last-modified', 'vary'];

function headerText(value: unknown): string {
  return value === undefined || value === null ? '' : Array.isArray(value) ? value.join(', ') : String(value);
}

function cacheControl(value: unknown): Set<string> {
  const text = headerText(value);
  if (text === '') return new Set();
  return new Set(text.split(',').map((d) => d.trim().split('=')[0]!.toLowerCase()));
}
