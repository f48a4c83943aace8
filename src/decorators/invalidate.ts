import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import { checkBoolean, checkChoice, checkKeyOption, checkName, checkOptionNames, checkTags, checkTemplateArguments } from './validate-options.js';
import type { InvalidateOptions } from '../options/invalidate.js';
import type { NoneMissing } from '../known-options.js';

/** The option names @Invalidate knows: every key of {@link InvalidateOptions}, no other. */
const INVALIDATE_OPTIONS = ['key', 'namespace', 'allEntries', 'tags', 'when', 'store', 'mode'] as const satisfies readonly (keyof InvalidateOptions)[];
type _EveryInvalidateOption = NoneMissing<Exclude<keyof InvalidateOptions, (typeof INVALIDATE_OPTIONS)[number]>>;

/**
 * Eviction and write-around: drops keys, a whole namespace or tags after the method succeeds
 * (default), before it runs, or always. After a failed method nothing is dropped unless
 * `when: 'always'`. Without `key`, `allEntries` and `tags` it drops the entry of its arguments'
 * default key, so `@Cacheable({ namespace })` and `@Invalidate({ namespace })` on methods with the
 * same parameters address the same entry.
 */
export function Invalidate<A extends any[] = any[]>(options?: InvalidateOptions<A>): DualMethodDecorator<A> {
  const o = checkOptionNames('Invalidate', options, INVALIDATE_OPTIONS);
  checkKeyOption('Invalidate', o.key);
  checkName('Invalidate', 'namespace', o.namespace);
  checkBoolean('Invalidate', 'allEntries', o.allEntries);
  checkTags('Invalidate', 'tags', o.tags);
  checkChoice('Invalidate', 'when', o.when, ['after', 'before', 'always']);
  checkName('Invalidate', 'store', o.store);
  checkChoice('Invalidate', 'mode', o.mode, ['remove', 'expire']);
  if (o.mode === 'expire' && (o.allEntries === true || o.tags !== undefined)) {
    throw new TypeError(`@Invalidate: mode 'expire' applies to keys; with ${o.allEntries === true ? 'allEntries' : 'tags'} it cannot (a namespace or tag is dropped by a new version, which removes); got mode 'expire'`);
  }
  return defineMethodDecorator('Invalidate', { invalidate: o as InvalidateOptions }, (method, name) =>
    checkTemplateArguments('Invalidate', o.key, method, name),
  );
}
