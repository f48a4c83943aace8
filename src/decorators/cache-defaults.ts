import 'reflect-metadata';
import { DecoratorUsageError } from '../errors.js';
import { DEFAULTS_METADATA } from '../runtime/plan.js';
import { checkDuration, checkName, checkOptionNames, checkTags } from './validate-options.js';
import type { CacheDefaultsOptions } from '../options/cache-defaults.js';
import type { NoneMissing } from '../known-options.js';
import { checkResilientReads, RESILIENT_READ_OPTIONS } from '../runtime/read-policy.js';

/** Class decorator in both TypeScript modes: `(class, context)` or `(class)`. */
export type DualClassDecorator = <C extends abstract new (...args: any[]) => any>(value: C, context?: ClassDecoratorContext<C>) => void;

/** The option names @CacheDefaults knows: every key of {@link CacheDefaultsOptions}, no other. */
const CACHE_DEFAULTS_OPTIONS = ['namespace', 'ttl', 'store', 'tags', ...RESILIENT_READ_OPTIONS] as const satisfies readonly (keyof CacheDefaultsOptions)[];
type _EveryCacheDefaultsOption = NoneMissing<Exclude<keyof CacheDefaultsOptions, (typeof CACHE_DEFAULTS_OPTIONS)[number]>>;

/**
 * Class-level defaults. Settings resolve method option, then class default, then the
 * runtime's (`configureCache`).
 */
export function CacheDefaults(options: CacheDefaultsOptions): DualClassDecorator {
  const o = checkOptionNames('CacheDefaults', options, CACHE_DEFAULTS_OPTIONS);
  checkName('CacheDefaults', 'namespace', o.namespace);
  checkDuration('CacheDefaults', 'ttl', o.ttl);
  checkName('CacheDefaults', 'store', o.store);
  checkTags('CacheDefaults', 'tags', o.tags);
  checkResilientReads('@CacheDefaults', o);
  return (value, context) => {
    if (typeof value !== 'function' || (context !== undefined && context.kind !== 'class')) {
      throw new DecoratorUsageError('@CacheDefaults can only decorate a class');
    }
    Reflect.defineMetadata(DEFAULTS_METADATA, o, value);
  };
}
