import type { CacheRuntime, Duration } from 'cachekit';

/**
 * Options of `cacheMiddleware` (Express), `cachePlugin` (Fastify) and `CachekitInterceptor`
 * (NestJS): one set, read by the shared core. See docs/http-caching.md.
 * @typeParam Req the request object of the framework, as `vary` receives it
 */
export interface HttpCacheOptions<Req = any> {
  /** Time to live of a stored response. `@CacheTtl` overrides it per Nest route. @default the runtime's `ttl` ('5m' unless configured) */
  ttl?: Duration;
  /**
   * How long after its TTL a response may still be served when the handler fails (throws, or
   * answers 5xx, or the client aborted it): sent with `x-cache: stale`. @default the runtime's `grace` (none unless configured)
   */
  grace?: Duration;
  /** Methods whose responses are cached. HEAD is answered from the GET entry and never stores. @default ['GET', 'HEAD'] */
  methods?: readonly string[];
  /**
   * What else the response depends on (user, tenant, `Accept-Language`...): its result joins the
   * key. `undefined` adds nothing. Without `vary`, requests carrying `Authorization` are not cached.
   * @default none
   */
  vary?: (req: Req) => string | number | undefined;
  /** Namespace of the entries in the runtime (`runtime.cache(namespace)`, `runtime.invalidate({ namespace })`). @default 'http' */
  namespace?: string;
  /** The runtime, or a function returning it per request. @default the global runtime (`getCacheRuntime()`), looked up per request */
  runtime?: CacheRuntime | (() => CacheRuntime);
  /** Largest body stored, in bytes; a larger response is streamed through and not stored. @default 1048576 (1 MiB) */
  maxBodyBytes?: number;
  /** Response headers stored besides the default allow-list (lower-case names; `set-cookie` is refused). @default [] */
  headers?: readonly string[];
  /**
   * Whether the request's `Cache-Control` counts: `no-store` skips the cache, `no-cache` (or
   * `Pragma: no-cache`) runs the handler and stores its response. Off, clients cannot make the
   * handler run. @default true
   */
  requestCacheControl?: boolean;
}

/** A response as the cache stores and replays it. */
export interface CachedResponse<B = Uint8Array> {
  /** The status code (2xx). */
  status: number;
  /** The stored headers (lower-case names, from the allow-list). */
  headers: Record<string, string | string[]>;
  /** The body: bytes for Express and Fastify, the handler's return value for NestJS. */
  body: B;
}

/** Response headers stored by default: never cookies, never per-connection headers. */
export const STORED_HEADERS: readonly string[] = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'content-type',
  'etag',
  'expires',
  'last-modified',
  'link',
  'vary',
];

/** Option names, for the unknown-option check. */
export const HTTP_CACHE_OPTIONS = [
  'ttl',
  'grace',
  'methods',
  'vary',
  'namespace',
  'runtime',
  'maxBodyBytes',
  'headers',
  'requestCacheControl',
] as const satisfies readonly (keyof HttpCacheOptions)[];
