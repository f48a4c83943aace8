import { parseDuration } from '../duration.js';
import type { CacheStore, KeyScope, SyncOperations } from '../cache-store.js';
import type { CacheRuntime } from './cache-runtime.js';
import { compileKey, compileKeyParts, type KeyParts } from './keys.js';
import { entryScope, namespaceBase, namespaceVersionKey, tagVersionKey } from '../stores/key-layout.js';
import type { KeyOption } from '../options/key.js';
import type { StatsCounter } from './stats.js';
import type { TagsOption } from '../options/tags.js';
import type { CacheDefaultsOptions } from '../options/cache-defaults.js';

/** The options every decorator shares for addressing entries. */
export interface AddressOptions {
  key?: KeyOption;
  namespace?: string;
  store?: string;
  ttl?: number | string;
  tags?: TagsOption;
}

/**
 * Where a decorated method's entries live, resolved once per runtime: the store, the
 * namespace and its version counter, the key function, TTL and tags. Settings resolve
 * method option, then @CacheDefaults, then the runtime.
 */
export interface EntryTarget {
  readonly runtime: CacheRuntime;
  /** The store, as the runtime's calls use it (`runtime.timedStore()`): look through it with `untimed()` before asking what kind of store it is. */
  readonly store: CacheStore;
  /** `Class.method`, for stats and errors. */
  readonly method: string;
  readonly stats: StatsCounter;
  readonly namespace: string;
  /** The namespace's version counter; always the first of a read's version keys. */
  readonly namespaceVersionKey: string;
  /** TTL of written entries, in ms (0: none). */
  readonly ttlMs: number;
  /** The full key(s) of a call (throws KeyBuildError). */
  keysOf(args: readonly unknown[]): string | string[];
  /** The version keys of a call: the namespace's, then one per tag. */
  versionKeysOf(args: readonly unknown[]): readonly string[];
  /**
   * The key of a call as one part, for a store that is addressed by part (`keyScope`): only when
   * the store has key scopes and the key option is none or a key function of one key.
   */
  readonly parts?: TargetParts;
  /** The store's sync operations (`syncOperations`: a store that answers without I/O), if it has them. */
  readonly sync?: SyncOperations;
}

/** A target's keys as parts, and the store's scopes that hold them (see {@link KeyParts}). */
export interface TargetParts extends KeyParts {
  /** The store's key scope of each kind of part (0: quoted strings, 1: text and numbers). */
  readonly scopes: readonly [KeyScope, KeyScope];
}

/** Resolves an {@link EntryTarget} for one decorator's options. */
export function resolveTarget(
  runtime: CacheRuntime,
  method: string,
  stats: StatsCounter,
  options: AddressOptions,
  defaults: CacheDefaultsOptions | undefined,
  manyKeys = false,
): EntryTarget {
  const { prefix, ttlMs } = runtime.settings;
  const namespace = options.namespace ?? defaults?.namespace ?? method;
  const store = runtime.timedStore(options.store ?? defaults?.store);
  const ttl = options.ttl ?? defaults?.ttl;
  const base = namespaceBase(prefix, namespace);
  const nsKey = namespaceVersionKey(prefix, namespace);
  const keyParts = typeof options.key === 'string' ? undefined : compileKeyParts(options.key, base);
  const keysOf = compileKey(options.key, base, manyKeys, keyParts);
  const scope = entryScope(base);
  const quoted = manyKeys || keyParts === undefined ? undefined : store.keyScope?.(scope, 0);
  const text = quoted === undefined ? undefined : store.keyScope!(scope, 1);
  const parts: TargetParts | undefined = text === undefined ? undefined : { ...keyParts!, scopes: [quoted!, text] };
  const tagSources = [defaults?.tags, options.tags].filter((t): t is TagsOption => t !== undefined);
  const fixed = tagSources.every((t) => typeof t !== 'function');
  const tagKeys = (args: readonly unknown[]): string[] =>
    tagSources.flatMap((t) => (typeof t === 'function' ? t(...args) : t)).map((tag) => tagVersionKey(prefix, tag));
  const fixedVersionKeys = fixed ? [nsKey, ...new Set(tagKeys([]))] : undefined;
  return {
    runtime,
    store,
    method,
    stats,
    namespace,
    namespaceVersionKey: nsKey,
    ttlMs: ttl === undefined ? ttlMs : parseDuration(ttl, `${method}: ttl`),
    keysOf,
    versionKeysOf: fixedVersionKeys ? () => fixedVersionKeys : (args) => [nsKey, ...new Set(tagKeys(args))],
    parts,
    sync: store.syncOperations?.(),
  };
}
