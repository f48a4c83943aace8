import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';
import type { CacheConfig } from 'cachekit';

/** Options of `CachekitModule.forRoot`: the cache configuration, plus where the module is visible. */
export interface CachekitModuleOptions extends CacheConfig {
  /**
   * Registers the module in the global scope: every module injects the runtime without
   * importing `CachekitModule`. (The decorators themselves need no import either way: they use
   * the one global runtime.)
   * @default false
   */
  isGlobal?: boolean;
}

/** Options of `CachekitModule.forRootAsync`: the cache configuration comes from a factory. */
export interface CachekitModuleAsyncOptions {
  /** Modules whose exported providers {@link inject} names (e.g. `ConfigModule`). @default [] */
  imports?: ModuleMetadata['imports'];
  /** Providers passed to {@link useFactory}, in order (e.g. `[ConfigService]`). @default [] */
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  /** Returns the cache configuration (what `configureCache` takes), or a promise of it. */
  useFactory: (...args: any[]) => CacheConfig | Promise<CacheConfig>;
  /** As {@link CachekitModuleOptions.isGlobal}. @default false */
  isGlobal?: boolean;
}
