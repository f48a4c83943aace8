import type { Duration } from '../duration.js';
import type { TagsOption } from './tags.js';
import type { ResilientReadOptions } from './resilient-reads.js';

/** Options of `@CacheDefaults`: defaults for every decorated method of the class. See docs/decorators/cache-defaults.md and docs/options.md#precedence. */
export interface CacheDefaultsOptions extends ResilientReadOptions {
  /** Namespace of every method's entries. @default `ClassName.methodName` per method */
  namespace?: string;
  /** Default TTL of the class's entries. @default the runtime's `ttl` */
  ttl?: Duration;
  /** Default store name. @default the runtime's default store */
  store?: string;
  /** Tags added to every entry written by `@Cacheable` and `@WriteThrough` of the class. */
  tags?: TagsOption;
}
