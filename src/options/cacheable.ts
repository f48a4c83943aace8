import type { Duration } from '../duration.js';
import type { KeyOption } from './key.js';
import type { TagsOption } from './tags.js';
import type { ResilientReadOptions } from './resilient-reads.js';

/** Options of `@Cacheable`. Unset options come from `@CacheDefaults`, then from `configureCache`. See docs/decorators/cacheable.md and, for the order, docs/options.md#precedence. */
export interface CacheableOptions<A extends any[] = any[]> extends ResilientReadOptions {
  /** Key of the entry within the namespace: a function of the arguments, or a template like `'{0}'` or `'{0.id}'`. See docs/keys.md. @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's `@CacheDefaults` namespace, else `ClassName.methodName` */
  namespace?: string;
  /**
   * Time to live: milliseconds, or a string like `'30s'`, `'5m'`. `0` means no expiry. Adaptive:
   * a function of the result and the arguments returning a duration (e.g. a short TTL for a
   * draft, a long one for a published page); a function that throws or returns no duration
   * leaves the result uncached and reports a TypeError. @default the runtime's `ttl`
   */
  ttl?: Duration | TtlFunction;
  /** Spreads expiries: each TTL is lengthened by a random fraction up to this (0.1 = up to 10%). @default 0 */
  ttlJitter?: number;
  /** Caches only calls for which this returns true; other calls run the method and skip the cache. @default always */
  condition?: (...args: any[]) => boolean;
  /** Does not store a result for which this returns true (the result is still returned). @default never */
  unless?: (result: any) => boolean;
  /** Whether `null` and `undefined` results are stored (`0`, `false`, `''` always are). @default true */
  cacheNull?: boolean;
  /** Name of a store registered in `configureCache({ stores })`. @default the default store */
  store?: string;
  /** Tags of the entry, for `@Invalidate({ tags })`: fixed, or computed from the arguments. @default none */
  tags?: TagsOption;
  /** Tags computed from the result and the arguments (read after the method returns). @default none */
  resultTags?: (result: any, ...args: any[]) => readonly string[];
  /** With a Redis-backed store: a miss takes a short Redis lock so N processes missing one key run the method once. See docs/stores/redis-store.md#distributed-stampede-protection. @default false */
  distributedLock?: boolean;
}

/** An adaptive TTL: computed from the method's result and its arguments after every load. */
export type TtlFunction = (result: any, ...args: any[]) => Duration;
