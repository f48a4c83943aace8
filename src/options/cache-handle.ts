import type { Duration } from '../duration.js';
import type { KeyPart } from './key.js';
import type { ResilientReadOptions } from './resilient-reads.js';

/** Options of {@link CacheHandle.set}. */
export interface CacheSetOptions {
  /** Time to live. @default the runtime's `ttl` */
  ttl?: Duration;
  /** Tags of the entry, for `@Invalidate({ tags })`. @default none */
  tags?: readonly string[];
  /** Grace after the TTL, as `@Cacheable`'s. @default the runtime's `grace` */
  grace?: Duration;
}

/** Options of {@link CacheHandle.wrap}: those of `@Cacheable` that are not about addressing. */
export interface CacheWrapOptions<V = unknown> extends ResilientReadOptions {
  /** Time to live, or a function of the loaded value. @default the runtime's `ttl` */
  ttl?: Duration | ((result: V) => Duration);
  /** Tags of the entry. @default none */
  tags?: readonly string[];
  /** Whether `null` and `undefined` results are stored. @default true */
  cacheNull?: boolean;
}

/** The entries of one namespace, addressed by key. See `runtime.cache()`. */
export interface CacheHandle<V = unknown> {
  /** The value under `key` if a decorated read would hit it (fresh, not invalidated), else undefined. Never runs a loader. */
  get(key: KeyPart): Promise<V | undefined>;
  /** Stores `value` under `key` (a write: in-flight loads of the key will not overwrite it). @throws CacheWriteError when the store fails (the key is then invalidated) */
  set(key: KeyPart, value: V, options?: CacheSetOptions): Promise<void>;
  /** Removes `key` (a tombstone: in-flight loads will not store an older value). */
  delete(key: KeyPart): Promise<void>;
  /** A `@Cacheable` read of `key`: the cached value, or `loader()` run once per key and stored under the lease. */
  wrap(key: KeyPart, loader: () => V | Promise<V>, options?: CacheWrapOptions<V>): Promise<V>;
}

