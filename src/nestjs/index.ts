/**
 * cachekit/nestjs: NestJS integration. This file (on the `http` branch) exports the HTTP
 * response cache: `CachekitInterceptor`, `@CacheTtl`, `@NoCache`. `CachekitModule` and
 * `InjectCacheRuntime` join it from their own branch.
 */
export { CachekitInterceptor, CacheTtl, NoCache, CACHEKIT_HTTP_OPTIONS, type RouteDecorator } from './http-cache.js';
