import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CacheRuntime, configureCache, type CacheConfig } from 'cachekit';
import { CachekitLifecycle } from './cachekit-lifecycle.js';
import type { CachekitModuleAsyncOptions, CachekitModuleOptions } from './cachekit-module-options.js';
import { CACHE_RUNTIME } from './cache-runtime-token.js';

const ASYNC_OPTIONS = ['imports', 'inject', 'useFactory', 'isGlobal'];

/** The token of the configuration that `forRootAsync`'s factory returned. */
const CACHEKIT_CONFIG = Symbol.for('cachekit.nestjs.CacheConfig');

const quote = (value: unknown): string => {
  const text = typeof value === 'string' ? `'${value}'` : typeof value === 'function' ? `[function ${value.name || 'anonymous'}]` : String(value);
  return `${text} (${value === null ? 'null' : typeof value})`;
};

function checkIsGlobal(method: string, isGlobal: unknown): void {
  if (isGlobal !== undefined && typeof isGlobal !== 'boolean') throw new TypeError(`CachekitModule.${method}: isGlobal must be a boolean; got ${quote(isGlobal)}`);
}

function checkConfig(method: string, config: unknown): asserts config is CacheConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new TypeError(`CachekitModule.${method}: the cache configuration must be an object (what configureCache takes); got ${quote(config)}`);
  }
}

/** The providers both entry points share: the runtime under its token and its class, and its shutdown. */
function runtimeProviders(configure: Provider): Provider[] {
  return [
    configure,
    { provide: CacheRuntime, useExisting: CACHE_RUNTIME },
    { provide: CachekitLifecycle, useFactory: (runtime: CacheRuntime) => new CachekitLifecycle(runtime), inject: [CACHE_RUNTIME] },
  ];
}

/**
 * The cachekit module of a NestJS application: configures the global cache runtime (what
 * `configureCache` does) when the application starts, provides it for injection
 * (`@InjectCacheRuntime()`, `@Inject(CACHE_RUNTIME)`, or a `CacheRuntime` parameter), and closes
 * it on application shutdown (queued write-behind writes reach their methods first).
 *
 * The decorators (`@Cacheable`, `@WriteThrough`, `@WriteBehind`, `@Invalidate`) need no
 * injection: on providers and controllers alike they use the one global runtime. Import the
 * module once, in the root module; a second configuration (another application in the same
 * process, a test module) replaces the runtime, as `configureCache` does.
 *
 * @example
 * CachekitModule.forRoot({ store: new MemoryStore(), isGlobal: true })
 * CachekitModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ store: new RedisStore({ client: new Redis(config.get('REDIS_URL')) }) }),
 * })
 */
export class CachekitModule {
  /**
   * The module with a configuration known up front.
   * @param options what `configureCache` takes, plus `isGlobal`
   * @throws TypeError when an option is wrong (checked by `configureCache` when the application starts, isGlobal at once)
   */
  static forRoot(options: CachekitModuleOptions = {}): DynamicModule {
    checkConfig('forRoot', options);
    const { isGlobal, ...config } = options;
    checkIsGlobal('forRoot', isGlobal);
    return {
      module: CachekitModule,
      global: isGlobal ?? false,
      providers: runtimeProviders({ provide: CACHE_RUNTIME, useFactory: () => configureCache(config) }),
      exports: [CACHE_RUNTIME, CacheRuntime],
    };
  }

  /**
   * The module with a configuration that a factory returns, from injected providers (e.g.
   * `ConfigService`): the runtime is configured once the factory resolved, while the application
   * starts.
   * @throws TypeError when an option is unknown or wrong (the factory's result: when the application starts)
   */
  static forRootAsync(options: CachekitModuleAsyncOptions): DynamicModule {
    if (typeof options !== 'object' || options === null) throw new TypeError(`CachekitModule.forRootAsync: options must be an object; got ${quote(options)}`);
    const unknown = Object.keys(options).filter((key) => !ASYNC_OPTIONS.includes(key));
    if (unknown.length) throw new TypeError(`CachekitModule.forRootAsync: unknown option ${unknown.map((k) => `'${k}'`).join(', ')}; known: ${ASYNC_OPTIONS.join(', ')}`);
    if (typeof options.useFactory !== 'function') throw new TypeError(`CachekitModule.forRootAsync: useFactory must be a function; got ${quote(options.useFactory)}`);
    if (options.inject !== undefined && !Array.isArray(options.inject)) throw new TypeError(`CachekitModule.forRootAsync: inject must be an array; got ${quote(options.inject)}`);
    checkIsGlobal('forRootAsync', options.isGlobal);
    return {
      module: CachekitModule,
      global: options.isGlobal ?? false,
      imports: options.imports ?? [],
      providers: [
        { provide: CACHEKIT_CONFIG, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...runtimeProviders({
          provide: CACHE_RUNTIME,
          useFactory: (config: unknown) => {
            checkConfig('forRootAsync: useFactory', config);
            return configureCache(config);
          },
          inject: [CACHEKIT_CONFIG],
        }),
      ],
      exports: [CACHE_RUNTIME, CacheRuntime],
    };
  }
}

// Nest's @Module, applied as a function: this file compiles in either TypeScript decorator mode.
Module({})(CachekitModule);
