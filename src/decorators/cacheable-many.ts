import { defineMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkChoice, checkDuration, checkFunction, checkKeyOption, checkName, checkNumber, checkOptionNames, checkTags,
} from './validate-options.js';
import type { CacheableManyOptions } from '../options/cacheable-many.js';
import type { NoneMissing } from '../known-options.js';
import { parseTemplate } from '../runtime/keys.js';
import { quote } from '../duration.js';
import { checkResilientReads, RESILIENT_READ_OPTIONS } from '../runtime/read-policy.js';

/** The option names @CacheableMany knows: every key of {@link CacheableManyOptions}, no other. */
const CACHEABLE_MANY_OPTIONS = [
  'key', 'namespace', 'ttl', 'ttlJitter', 'unless', 'cacheNull', 'store', 'tags', 'result', ...RESILIENT_READ_OPTIONS,
] as const satisfies readonly (keyof CacheableManyOptions)[];
type _EveryCacheableManyOption = NoneMissing<Exclude<keyof CacheableManyOptions, (typeof CACHEABLE_MANY_OPTIONS)[number]>>;

/** A method decorator for `getMany(ids: K[], ...rest)` in both TypeScript modes. */
export type BatchMethodDecorator<K> = {
  <T extends (ids: K[], ...rest: any[]) => Promise<unknown>>(method: T, context: ClassMethodDecoratorContext<unknown, T>): T;
  <T extends (ids: K[], ...rest: any[]) => Promise<unknown>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
};

/**
 * Batch loading: on `async getMany(ids: K[]): Promise<V[] | Map<K, V>>`, each id is its own
 * entry (the entry `@Cacheable({ namespace, key })` of a method taking that one id uses). A call
 * reads every id's entry (one `MGET` on Redis), calls the method once with only the missed ids in
 * their order (any further arguments passed as they are), stores each result under its own lease,
 * and returns the values aligned with the ids (or a Map: `result: 'map'`). Concurrent batches and
 * single-id reads sharing ids load each id once. A rejected batch stores nothing and fails every
 * caller waiting on its ids.
 * @example
 *   @CacheableMany({ namespace: 'product', key: (id: string) => id })
 *   async getMany(ids: string[]): Promise<Product[]> { ... }
 */
export function CacheableMany<K = any>(options?: CacheableManyOptions<K>): BatchMethodDecorator<K> {
  const o = checkOptionNames('CacheableMany', options, CACHEABLE_MANY_OPTIONS);
  checkKeyOption('CacheableMany', o.key);
  checkName('CacheableMany', 'namespace', o.namespace);
  if (typeof o.ttl !== 'function') checkDuration('CacheableMany', 'ttl', o.ttl);
  checkNumber('CacheableMany', 'ttlJitter', o.ttlJitter, 0, 1);
  checkFunction('CacheableMany', 'unless', o.unless);
  checkBoolean('CacheableMany', 'cacheNull', o.cacheNull);
  checkName('CacheableMany', 'store', o.store);
  checkTags('CacheableMany', 'tags', o.tags);
  checkChoice('CacheableMany', 'result', o.result, ['array', 'map']);
  checkResilientReads('@CacheableMany', o);
  const checked = o as CacheableManyOptions;
  if (typeof checked.key === 'string') {
    const beyond = parseTemplate(checked.key).placeholders.find((p) => p.index !== 0);
    if (beyond !== undefined) {
      throw new TypeError(`@CacheableMany: key template ${quote(checked.key)} reads argument ${beyond.index} (${beyond.text}); a batch key is built from one id, argument 0`);
    }
  }
  return defineMethodDecorator('CacheableMany', { cache: { kind: 'CacheableMany', options: checked } }) as unknown as BatchMethodDecorator<K>;
}
