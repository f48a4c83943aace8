import { parseDuration, quote } from '../duration.js';
import { MemoryStore } from '../stores/memory/memory-store.js';
import type { CacheStore } from '../cache-store.js';
import { TimeoutGuard } from '../stores/timeout-guard.js';
import { checkKnownOptions } from '../known-options.js';
import { registerClasses } from '../value-classes.js';
import { CacheRuntime } from './cache-runtime.js';
import type { CacheConfig } from '../options/configure-cache.js';
import type { RuntimeSettings } from '../options/cache-runtime.js';
import type { NoneMissing } from '../known-options.js';
import { CONFIG_DEFAULTS } from '../defaults.js';
import { checkResilientReads, RESILIENT_READ_OPTIONS } from './read-policy.js';
import { realScheduler } from '../write-behind/scheduler.js';
import { createCacheHandle } from './cache-handle.js';

/** The option names configureCache knows: every key of {@link CacheConfig}, no other. */
const CONFIG_OPTIONS = [
  'store', 'stores', 'prefix', 'ttl', 'leaseTtl', 'storeTimeout', 'serializer', 'logger', 'onError', 'classes', 'scheduler', ...RESILIENT_READ_OPTIONS,
] as const satisfies readonly (keyof CacheConfig)[];
type _EveryCacheConfigOption = NoneMissing<Exclude<keyof CacheConfig, (typeof CONFIG_OPTIONS)[number]>>;

/**
 * What must be one per process, whichever copy of cachekit holds it: the package's `import` and
 * `require` entries share one implementation, but a process can still load two copies (two
 * installs, a bundle next to node_modules). All of them read and replace the runtime through this
 * record on `globalThis`, so `configureCache` in one is what decorators of every other one use.
 */
interface ProcessRegistry {
  /** The runtime decorated methods use, once configured. */
  current: CacheRuntime | undefined;
  /** Whether the CK_NO_TTL warning was given (once per process). */
  warnedNoTtl: boolean;
}

/** The `globalThis` key of the {@link ProcessRegistry} (`Symbol.for`, so every copy finds the same one). */
export const RUNTIME_REGISTRY = Symbol.for('cachekit.runtime');

const registry: ProcessRegistry = ((globalThis as Record<symbol, unknown>)[RUNTIME_REGISTRY] ??= {
  current: undefined,
  warnedNoTtl: false,
}) as ProcessRegistry;

/**
 * Configures the global runtime that every decorated method uses from its next call on, and
 * returns it. Classes may be defined before. Calling it again (e.g. between tests) replaces
 * the runtime for every later call. The replaced runtime is retired: its queued write-behind
 * writes are flushed into their methods (before any write of the new runtime runs), then its
 * timers are stopped and the stores that the new configuration does not name are closed.
 * The new runtime's `flush()` and `close()` resolve only after those writes ran.
 * @throws TypeError naming the option and quoting the value when an option is wrong
 */
export function configureCache(config: CacheConfig = {}): CacheRuntime {
  checkKnownOptions('configureCache', config, CONFIG_OPTIONS);
  const isStore = (s: unknown): s is CacheStore => typeof s === 'object' && s !== null && typeof (s as CacheStore).read === 'function';
  if (config.store !== undefined && !isStore(config.store)) {
    throw new TypeError(`configureCache: store must be a CacheStore (MemoryStore, RedisStore, TieredStore); got ${quote(config.store)}`);
  }
  if (config.stores !== undefined && (typeof config.stores !== 'object' || config.stores === null || Array.isArray(config.stores))) {
    throw new TypeError(`configureCache: stores must be an object of named CacheStores; got ${quote(config.stores)}`);
  }
  for (const [name, store] of Object.entries(config.stores ?? CONFIG_DEFAULTS.stores)) {
    if (!isStore(store)) throw new TypeError(`configureCache: stores.${name} must be a CacheStore; got ${quote(store)}`);
  }
  if (config.prefix !== undefined && (typeof config.prefix !== 'string' || config.prefix === '')) {
    throw new TypeError(`configureCache: prefix must be a non-empty string; got ${quote(config.prefix)}`);
  }
  if (config.onError !== undefined && typeof config.onError !== 'function') {
    throw new TypeError(`configureCache: onError must be a function; got ${quote(config.onError)}`);
  }
  if (config.logger !== undefined && typeof config.logger?.warn !== 'function') {
    throw new TypeError(`configureCache: logger must have a warn() method; got ${quote(config.logger)}`);
  }
  if (config.serializer !== undefined && typeof config.serializer?.serialize !== 'function') {
    throw new TypeError(`configureCache: serializer must have serialize() and deserialize(); got ${quote(config.serializer)}`);
  }
  checkResilientReads('configureCache', config as Record<string, unknown>);
  const scheduler = config.scheduler;
  if (scheduler !== undefined && (typeof scheduler?.now !== 'function' || typeof scheduler.setTimer !== 'function' || typeof scheduler.clearTimer !== 'function')) {
    throw new TypeError(`configureCache: scheduler must have now(), setTimer() and clearTimer() (a ManualScheduler fits); got ${quote(scheduler)}`);
  }
  registerClasses('configureCache', config.classes);
  const storeTimeoutMs = parseDuration(config.storeTimeout === undefined ? CONFIG_DEFAULTS.storeTimeout : config.storeTimeout, 'configureCache: storeTimeout');
  // the stores as passed, each with the store the runtime uses (behind a deadline where needed)
  const used = new Map<CacheStore, CacheStore>();
  const guard = (store: CacheStore) => {
    let guarded = used.get(store);
    if (guarded === undefined) used.set(store, (guarded = TimeoutGuard.wrap(store, storeTimeoutMs)));
    return guarded;
  };
  const previous = registry.current;
  const current = new CacheRuntime({
    store: guard(config.store ?? new MemoryStore()),
    stores: Object.fromEntries(Object.entries(config.stores ?? CONFIG_DEFAULTS.stores).map(([name, store]) => [name, guard(store)])),
    prefix: config.prefix ?? CONFIG_DEFAULTS.prefix,
    ttlMs: parseDuration(config.ttl === undefined ? CONFIG_DEFAULTS.ttl : config.ttl, 'configureCache: ttl'),
    leaseMs: parseDuration(config.leaseTtl === undefined ? CONFIG_DEFAULTS.leaseTtl : config.leaseTtl, 'configureCache: leaseTtl'),
    serializer: config.serializer,
    logger: config.logger ?? console,
    onError: config.onError,
    sources: used,
    scheduler: scheduler ?? realScheduler,
    cacheHandles: createCacheHandle as NonNullable<RuntimeSettings['cacheHandles']>,
    reads: Object.fromEntries(RESILIENT_READ_OPTIONS.filter((name) => config[name] !== undefined).map((name) => [name, config[name]])),
  });
  registry.current = current;
  if (previous !== undefined && previous !== current) current.replaces(previous);
  if (current.settings.ttlMs === 0) warnNoTtl([current.settings.store, ...Object.values(current.settings.stores)]);
  return current;
}

/** A shared store with no default TTL keeps every entry forever unless evicted: allowed, but warned once (code CK_NO_TTL). */
function warnNoTtl(stores: CacheStore[]): void {
  if (registry.warnedNoTtl || stores.every((s) => s instanceof MemoryStore)) return;
  registry.warnedNoTtl = true;
  process.emitWarning('configureCache: ttl 0 with a shared store keeps entries until Redis evicts them; set a ttl', {
    type: 'CacheKitWarning',
    code: 'CK_NO_TTL',
  });
}

/** The configured runtime; before any `configureCache`, a default in-memory one (so decorated classes work out of the box). */
export function getCacheRuntime(): CacheRuntime {
  return registry.current ?? configureCache();
}
