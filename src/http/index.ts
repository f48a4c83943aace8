/**
 * cachekit/http: HTTP response caching over cachekit's runtime, for Express
 * (`cacheMiddleware`) and Fastify (`cachePlugin`). NestJS's `CachekitInterceptor` (in
 * cachekit/nestjs) uses the same core. See docs/http-caching.md.
 */
export { cacheMiddleware, type CacheMiddleware } from './express-middleware.js';
export { cachePlugin, type CachePlugin, type FastifyInstanceLike, type FastifyReplyLike, type FastifyRequestLike } from './fastify-plugin.js';
export type { HttpCacheOptions, CachedResponse } from './options.js';
export { STORED_HEADERS } from './options.js';
export { HttpCache, keyOf, type CachePlan, type HandlerResponse, type RequestLine, type RouteSettings, type Served } from './http-cache-core.js';
