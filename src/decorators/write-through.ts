import type { Duration } from '../duration.js';
import type { KeyOption } from '../options/key.js';
import { defineMethodDecorator, type DualMethodDecorator } from './define-method-decorator.js';
import type { TagsOption } from './cacheable.js';
import {
  checkBoolean, checkDuration, checkFunction, checkKeyOption, checkName, checkOptionNames, checkTags, checkTemplateArguments,
} from './validate-options.js';

/** Options of {@link WriteThrough}. */
export interface WriteThroughOptions<A extends any[] = any[]> {
  /** Key of the entry (same meaning as on @Cacheable, so both address one entry). @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's @CacheDefaults namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Time to live of the written entry. @default the runtime's `ttl` */
  ttl?: Duration;
  /** The value to cache, from the method's result and arguments. @default the result */
  value?: (result: any, ...args: any[]) => unknown;
  /** Name of a registered store. @default the default store */
  store?: string;
  /** Tags of the written entry. @default none */
  tags?: TagsOption;
  /**
   * When the method succeeded but the cache write failed: false (default) invalidates the key,
   * reports the error and resolves with the result; true rejects with a CacheWriteError
   * (the database write has happened all the same).
   * @default false
   */
  throwOnCacheError?: boolean;
}

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
