/**
 * cachekit/nestjs: the NestJS integration. `CachekitModule` configures the cache runtime when
 * the application starts, provides it for injection and closes it on shutdown;
 * `CachekitInterceptor`, `@CacheTtl` and `@NoCache` cache HTTP responses (over cachekit/http).
 * This file only exports the public API.
 */
export { CachekitModule } from './cachekit-module.js';
export type { CachekitModuleOptions, CachekitModuleAsyncOptions } from './cachekit-module-options.js';
export { CACHE_RUNTIME, InjectCacheRuntime } from './cache-runtime-token.js';
export { CachekitInterceptor, CacheTtl, NoCache, CACHEKIT_HTTP_OPTIONS, type RouteDecorator } from './http-cache.js';
