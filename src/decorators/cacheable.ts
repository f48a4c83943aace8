import type { Duration } from '../duration.js';
import type { KeyOption } from '../options/key.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames, checkTags, checkTemplateArguments,
} from './validate-options.js';

/** Tags of an entry: fixed, or computed from the call's arguments. */
export type TagsOption = readonly string[] | ((...args: any[]) => readonly string[]);

/** Options of {@link Cacheable}. Unset options come from @CacheDefaults, then from `configureCache`. */
export interface CacheableOptions<A extends any[] = any[]> {
  /** Key of the entry within the namespace: a function of the arguments, or a template like `'{0}'` or `'{0.id}'`. @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's @CacheDefaults namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Time to live: milliseconds, or a string like `'30s'`, `'5m'`. `0` means no expiry. @default the runtime's `ttl` */
  ttl?: Duration;
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
  /** With a Redis-backed store: a miss takes a short Redis lock so N processes missing one key run the method once. @default false */
  distributedLock?: boolean;
}

const OPTIONS = ['key', 'namespace', 'ttl', 'ttlJitter', 'condition', 'unless', 'cacheNull', 'store', 'tags', 'resultTags', 'distributedLock'] as const;

/** Checks @Cacheable options; shared with the decorators that accept the same ones. */
export function validateCacheableOptions(decorator: string, options: unknown): CacheableOptions {
  const o = checkOptionNames(decorator, options, OPTIONS);
  checkKeyOption(decorator, o.key);
  checkName(decorator, 'namespace', o.namespace);
  checkDuration(decorator, 'ttl', o.ttl);
  checkNumber(decorator, 'ttlJitter', o.ttlJitter, 0, 1);
  checkFunction(decorator, 'condition', o.condition);
  checkFunction(decorator, 'unless', o.unless);
  checkBoolean(decorator, 'cacheNull', o.cacheNull);
  checkName(decorator, 'store', o.store);
  checkTags(decorator, 'tags', o.tags);
  checkFunction(decorator, 'resultTags', o.resultTags);
  checkBoolean(decorator, 'distributedLock', o.distributedLock);
  return o as CacheableOptions;
}

/**
 * Cache-aside: a call looks in the cache first; on a miss it runs the method, stores the
 * result and returns it. Concurrent misses of one key run the method once. A store that
 * fails never fails the call: it falls back to the method.
 *
 * @example
 * class Products {
 *   @Cacheable({ key: (id: string) => id, ttl: '10m' })
 *   async get(id: string) { return db.find(id); }
 * }
 */
export function Cacheable<A extends any[] = any[]>(options?: CacheableOptions<A>): DualMethodDecorator<A> {
  const checked = validateCacheableOptions('Cacheable', options);
  return defineMethodDecorator('Cacheable', { cache: { kind: 'Cacheable', options: checked } }, (method, name) =>
    checkTemplateArguments('Cacheable', checked.key, method, name),
  );
}
