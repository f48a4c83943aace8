/**
 * RedisStore's options checked and resolved once, at construction: unknown names refused with
 * the known list, each value checked (a `TypeError` naming the option), defaults from
 * `defaults.ts` filled in. The connection itself is opened by `connection.ts`.
 */

import type { Redis } from 'ioredis';
import { quote } from '../../duration.js';
import { checkKnownOptions, type NoneMissing } from '../../known-options.js';
import { REDIS_STORE_DEFAULTS } from '../../defaults.js';
import type { CircuitBreakerOptions } from '../../options/circuit-breaker.js';
import type { RedisStoreOptions } from '../../options/redis-store.js';
import type { Serializer } from '../../serializer.js';

/** The option names RedisStore knows: every key of {@link RedisStoreOptions}, no other. */
const REDIS_STORE_OPTIONS = ['client', 'connection', 'scope', 'serializer', 'timeoutMs', 'maxValueBytes', 'breaker', 'name', 'trackVersions'] as const satisfies readonly (keyof RedisStoreOptions)[];
type _EveryRedisStoreOption = NoneMissing<Exclude<keyof RedisStoreOptions, (typeof REDIS_STORE_OPTIONS)[number]>>;
/** The names `breaker` knows: every key of {@link CircuitBreakerOptions}. */
const BREAKER_OPTIONS = ['failureThreshold', 'cooldownMs', 'onStateChange', 'clock'] as const satisfies readonly (keyof CircuitBreakerOptions)[];
type _EveryCircuitBreakerOption = NoneMissing<Exclude<keyof CircuitBreakerOptions, (typeof BREAKER_OPTIONS)[number]>>;

/** {@link RedisStoreOptions} after {@link resolveRedisStoreOptions}: checked, defaults filled in. */
export interface ResolvedRedisStoreOptions {
  readonly name: string;
  readonly timeoutMs: number;
  readonly maxValueBytes: number;
  /** The runtime prefix given as `scope` (undefined: learned from the keys written). */
  readonly scope: string | undefined;
  /** The serializer given as `serializer` (undefined: the runtime's, else msgpack). */
  readonly serializer: Serializer | undefined;
  readonly trackVersions: boolean;
  /** The breaker's options (`breaker: false` becomes a threshold no run of failures reaches). */
  readonly breaker: CircuitBreakerOptions;
}

/** Checks `options` (see the file comment). @throws TypeError on an unknown name or a bad value */
export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  checkKnownOptions('RedisStore', options, REDIS_STORE_OPTIONS);
  const { client, connection } = options;
  if (client !== undefined && connection !== undefined) {
    throw new TypeError('RedisStore: give either client (an ioredis Redis or Cluster) or connection (options or a URL), not both');
  }
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as Redis).getBuffer !== 'function')) {
    throw new TypeError(`RedisStore: client must be an ioredis Redis or Cluster; got ${quote(client)}`);
  }
  if (connection !== undefined && typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
    throw new TypeError(`RedisStore: connection must be ioredis options or a redis:// URL; got ${quote(connection)}`);
  }
  const timeoutMs = options.timeoutMs ?? REDIS_STORE_DEFAULTS.timeoutMs;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new TypeError(`RedisStore: timeoutMs must be a number of milliseconds > 0; got ${quote(options.timeoutMs)}`);
  }
  const maxValueBytes = options.maxValueBytes ?? REDIS_STORE_DEFAULTS.maxValueBytes;
  if (!(maxValueBytes === Infinity || (Number.isInteger(maxValueBytes) && maxValueBytes >= 1))) {
    throw new TypeError(`RedisStore: maxValueBytes must be an integer number of bytes >= 1 (or Infinity); got ${quote(options.maxValueBytes)}`);
  }
  if (options.serializer !== undefined && (typeof options.serializer?.serialize !== 'function' || typeof options.serializer?.deserialize !== 'function')) {
    throw new TypeError(`RedisStore: serializer must have serialize() and deserialize(); got ${quote(options.serializer)}`);
  }
  if (options.scope !== undefined && (typeof options.scope !== 'string' || options.scope === '')) {
    throw new TypeError(`RedisStore: scope must be a non-empty string (the runtime prefix); got ${quote(options.scope)}`);
  }
  if (options.trackVersions !== undefined && typeof options.trackVersions !== 'boolean') {
    throw new TypeError(`RedisStore: trackVersions must be true or false; got ${quote(options.trackVersions)}`);
  }
  if (options.breaker !== undefined && options.breaker !== false && (typeof options.breaker !== 'object' || options.breaker === null)) {
    throw new TypeError(`RedisStore: breaker must be an object or false; got ${quote(options.breaker)}`);
  }
  if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
    throw new TypeError(`RedisStore: name must be a non-empty string; got ${quote(options.name)}`);
  }
  const breaker = options.breaker === false ? { failureThreshold: Number.MAX_SAFE_INTEGER } : (options.breaker ?? {});
  if (typeof options.breaker === 'object') {
    checkKnownOptions('RedisStore', options.breaker, BREAKER_OPTIONS, 'breaker');
    if (breaker.onStateChange !== undefined && typeof breaker.onStateChange !== 'function') {
      throw new TypeError(`RedisStore: breaker.onStateChange must be a function; got ${quote(breaker.onStateChange)}`);
    }
  }
  return {
    name: options.name ?? REDIS_STORE_DEFAULTS.name,
    timeoutMs,
    maxValueBytes,
    scope: options.scope,
    serializer: options.serializer,
    trackVersions: options.trackVersions ?? REDIS_STORE_DEFAULTS.trackVersions,
    breaker,
  };
}
