import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames, checkTags, checkTemplateArguments,
} from './validate-options.js';
import type { CacheableOptions } from '../options/cacheable.js';
import type { NoneMissing } from '../known-options.js';
import { checkResilientReads, RESILIENT_READ_OPTIONS } from '../runtime/read-policy.js';

/** The option names @Cacheable knows: every key of {@link CacheableOptions}, no other. */
const CACHEABLE_OPTIONS = [
  'key', 'namespace', 'ttl', 'ttlJitter', 'condition', 'unless', 'cacheNull', 'store', 'tags', 'resultTags', 'distributedLock', ...RESILIENT_READ_OPTIONS,
] as const satisfies readonly (keyof CacheableOptions)[];
type _EveryCacheableOption = NoneMissing<Exclude<keyof CacheableOptions, (typeof CACHEABLE_OPTIONS)[number]>>;

/** Checks @Cacheable options; shared with the decorators that accept the same ones. */
export function validateCacheableOptions(decorator: string, options: unknown): CacheableOptions {
  const o = checkOptionNames(decorator, options, CACHEABLE_OPTIONS);
  checkKeyOption(decorator, o.key);
  checkName(decorator, 'namespace', o.namespace);
  if (typeof o.ttl !== 'function') checkDuration(decorator, 'ttl', o.ttl);
  checkNumber(decorator, 'ttlJitter', o.ttlJitter, 0, 1);
  checkFunction(decorator, 'condition', o.condition);
  checkFunction(decorator, 'unless', o.unless);
  checkBoolean(decorator, 'cacheNull', o.cacheNull);
  checkName(decorator, 'store', o.store);
  checkTags(decorator, 'tags', o.tags);
  checkFunction(decorator, 'resultTags', o.resultTags);
  checkBoolean(decorator, 'distributedLock', o.distributedLock);
  checkResilientReads(`@${decorator}`, o);
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
