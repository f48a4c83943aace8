import type { KeyOption } from '../options/key.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import type { TagsOption } from './cacheable.js';
import { checkBoolean, checkChoice, checkKeyOption, checkName, checkOptionNames, checkTags, checkTemplateArguments } from './validate-options.js';

/** When @Invalidate drops: after the method succeeded, before it runs, or after it settles either way. */
export type InvalidateWhen = 'after' | 'before' | 'always';

/** Options of {@link Invalidate}. Without `key`, `allEntries` and `tags`, it drops the default key of its arguments. */
export interface InvalidateOptions<A extends any[] = any[]> {
  /** The key(s) to drop: a function of the arguments returning one key or an array, or a template. @default without `allEntries` and `tags`, the stable encoding of all arguments (the default key of the other decorators) */
  key?: KeyOption<A>;
  /** Namespace of the keys, or the namespace to drop with `allEntries`. @default the class's @CacheDefaults namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Drop the whole namespace (O(1): its version is bumped). @default false */
  allEntries?: boolean;
  /** Drop every entry carrying one of these tags (O(1) per tag). */
  tags?: TagsOption;
  /** When to drop. @default 'after' */
  when?: InvalidateWhen;
  /** Name of a registered store. @default the default store */
  store?: string;
}

const OPTIONS = ['key', 'namespace', 'allEntries', 'tags', 'when', 'store'] as const;

/**
 * Eviction and write-around: drops keys, a whole namespace or tags after the method succeeds
 * (default), before it runs, or always. After a failed method nothing is dropped unless
 * `when: 'always'`. Without `key`, `allEntries` and `tags` it drops the entry of its arguments'
 * default key, so `@Cacheable({ namespace })` and `@Invalidate({ namespace })` on methods with the
 * same parameters address the same entry.
 */
export function Invalidate<A extends any[] = any[]>(options?: InvalidateOptions<A>): DualMethodDecorator<A> {
  const o = checkOptionNames('Invalidate', options, OPTIONS);
  checkKeyOption('Invalidate', o.key);
  checkName('Invalidate', 'namespace', o.namespace);
  checkBoolean('Invalidate', 'allEntries', o.allEntries);
  checkTags('Invalidate', 'tags', o.tags);
  checkChoice('Invalidate', 'when', o.when, ['after', 'before', 'always']);
  checkName('Invalidate', 'store', o.store);
  return defineMethodDecorator('Invalidate', { invalidate: o as InvalidateOptions }, (method, name) =>
    checkTemplateArguments('Invalidate', o.key, method, name),
  );
}
