import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkDuration, checkFunction, checkKeyOption, checkName, checkOptionNames, checkTags, checkTemplateArguments,
} from './validate-options.js';
import type { WriteThroughOptions } from '../options/write-through.js';
import type { NoneMissing } from '../known-options.js';

/** The option names @WriteThrough knows: every key of {@link WriteThroughOptions}, no other. */
const WRITE_THROUGH_OPTIONS = ['key', 'namespace', 'ttl', 'value', 'store', 'tags', 'throwOnCacheError'] as const satisfies readonly (keyof WriteThroughOptions)[];
type _EveryWriteThroughOption = NoneMissing<Exclude<keyof WriteThroughOptions, (typeof WRITE_THROUGH_OPTIONS)[number]>>;

/**
 * Write-through: the method is the database write; when it succeeds its result (or
 * `value(result, ...args)`) is stored under the key, and the call resolves after both.
 * When the method throws, the cache is untouched and the error propagates unchanged.
 */
export function WriteThrough<A extends any[] = any[]>(options?: WriteThroughOptions<A>): DualMethodDecorator<A> {
  const o = checkOptionNames('WriteThrough', options, WRITE_THROUGH_OPTIONS);
  checkKeyOption('WriteThrough', o.key);
  checkName('WriteThrough', 'namespace', o.namespace);
  checkDuration('WriteThrough', 'ttl', o.ttl);
  checkFunction('WriteThrough', 'value', o.value);
  checkName('WriteThrough', 'store', o.store);
  checkTags('WriteThrough', 'tags', o.tags);
  checkBoolean('WriteThrough', 'throwOnCacheError', o.throwOnCacheError);
  return defineMethodDecorator('WriteThrough', { cache: { kind: 'WriteThrough', options: o as WriteThroughOptions } }, (method, name) =>
    checkTemplateArguments('WriteThrough', o.key, method, name),
  );
}
