import type { Duration } from '../duration.js';
import type { KeyOption } from './key.js';
import type { TagsOption } from './tags.js';

/** Options of `@WriteThrough`. See docs/decorators/write-through.md. */
export interface WriteThroughOptions<A extends any[] = any[]> {
  /** Key of the entry (same meaning as on @Cacheable, so both address one entry). @default a stable encoding of all arguments */
  key?: KeyOption<A>;
  /** Namespace of the entry. @default the class's `@CacheDefaults` namespace, else `ClassName.methodName` */
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
