import { Inject } from '@nestjs/common';

/**
 * The injection token of the {@link CacheRuntime} that `CachekitModule` configured (the global
 * runtime every decorated method uses). `@Inject(CACHE_RUNTIME)`, `@InjectCacheRuntime()` and a
 * constructor parameter typed `CacheRuntime` (with `emitDecoratorMetadata`) inject the same
 * instance.
 */
export const CACHE_RUNTIME: unique symbol = Symbol.for('cachekit.nestjs.CacheRuntime');

/**
 * Injects the {@link CacheRuntime} that `CachekitModule` configured: a parameter (or property)
 * decorator, short for `@Inject(CACHE_RUNTIME)`. Needs no `emitDecoratorMetadata`.
 *
 * @example
 * constructor(@InjectCacheRuntime() private readonly cache: CacheRuntime) {}
 */
export function InjectCacheRuntime(): PropertyDecorator & ParameterDecorator {
  return Inject(CACHE_RUNTIME);
}
