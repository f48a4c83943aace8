import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import {
  checkBoolean, checkDuration, checkFunction, checkKeyOption, checkName, checkOptionNames, checkTags, checkTemplateArguments,
} from './validate-options.js';
import type { WriteThroughOptions } from '../options/write-through.js';

const OPTIONS = ['key', 'namespace', 'ttl', 'value', 'store', 'tags', 'throwOnCacheError'] as const;

/**
 * Write-through: the method is the database write; when it succeeds its result (or
 * `value(result, ...args)`) is stored under the key, and the call resolves after both.
 * When the method throws, the cache is untouched and the error propagates unchanged.
 */
export function WriteThrough<A extends any[] = any[]>(options?: WriteThroughOptions<A>): DualMethodDecorator<A> {
  const o = checkOptionNames('WriteThrough', options, OPTIONS);
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
