import type { KeyOption } from './key.js';
import type { TagsOption } from './tags.js';

/** When `@Invalidate` drops: after the method succeeded, before it runs, or after it settles either way. */
export type InvalidateWhen = 'after' | 'before' | 'always';

/** What `@Invalidate` does to a key: remove it (never served again) or expire it (stale: served within its grace only when the reload fails). See docs/resilient-reads.md#grace-and-fail-safe. */
export type InvalidateMode = 'remove' | 'expire';

/** Options of `@Invalidate`. Without `key`, `allEntries` and `tags`, it drops the default key of its arguments. See docs/decorators/invalidate.md. */
export interface InvalidateOptions<A extends any[] = any[]> {
  /** The key(s) to drop: a function of the arguments returning one key or an array, or a template. @default without `allEntries` and `tags`, the stable encoding of all arguments (the default key of the other decorators) */
  key?: KeyOption<A>;
  /** Namespace of the keys, or the namespace to drop with `allEntries`. @default the class's `@CacheDefaults` namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Drop the whole namespace (O(1): its version is bumped). @default false */
  allEntries?: boolean;
  /** Drop every entry carrying one of these tags (O(1) per tag). */
  tags?: TagsOption;
  /** When to drop. @default 'after' */
  when?: InvalidateWhen;
  /**
   * `'remove'`: the entry is never served again. `'expire'`: the entry becomes stale, so a reader
   * with `grace` serves it if its reload fails or times out (an entry written without grace is
   * removed). Applies to keys only: with `allEntries` or `tags` it is refused. @default 'remove'
   */
  mode?: InvalidateMode;
  /** Name of a registered store. @default the default store */
  store?: string;
}
