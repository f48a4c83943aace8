import { MemoryStore } from '../stores/memory/memory-store.js';
import type { CacheStore } from '../cache-store.js';
import { unregisteredClassIn } from '../value-classes.js';
import { untimed } from './timed-store.js';

/** Methods already warned about, so each is warned once per process. */
const warned = new Set<string>();

/** Values a watcher looks at in full before it samples (one in {@link SAMPLE_EVERY}). */
const CHECK_FIRST = 64;
const SAMPLE_EVERY = 64;

/**
 * A check of the values `method` puts in `store` for instances of classes not registered with
 * `configureCache({ classes })`: a store that serializes (Redis, tiered, a custom one) returns
 * those as plain objects on a hit, while the caller put the instance. The first such value emits
 * one warning naming the class (code `CK_UNREGISTERED_CLASS`), once per method and process.
 * Undefined for a MemoryStore (it keeps the objects themselves) and for a method warned already.
 * On a hot path (write-behind calls) it looks at the first 64 values, then one in 64.
 */
export function unregisteredClassWatcher(method: string, store: CacheStore, what: 'returned' | 'cached' | 'queued'): ((value: unknown) => void) | undefined {
  if (untimed(store) instanceof MemoryStore || warned.has(method)) return undefined;
  let seen = 0;
  return (value) => {
    if (warned.has(method) || (++seen > CHECK_FIRST && seen % SAMPLE_EVERY !== 0)) return;
    const name = unregisteredClassIn(value);
    if (name === undefined) return;
    warned.add(method);
    process.emitWarning(
      `${method} ${what} an instance of ${name}, but class ${name} is not registered: hits from the '${store.name}' store return a plain object ` +
        `(${what === 'returned' ? 'the miss returned the instance' : `the call ${what} the instance`}). Register it: configureCache({ classes: [${name}] })`,
      { type: 'CacheKitWarning', code: 'CK_UNREGISTERED_CLASS' },
    );
  };
}

/**
 * `original`, watched for results that hold instances of unregistered classes (see
 * {@link unregisteredClassWatcher}). Only misses call the method, so hits pay nothing.
 */
export function watchForUnregisteredClasses<F extends (...args: any[]) => any>(original: F, method: string, store: CacheStore): F {
  const check = unregisteredClassWatcher(method, store, 'returned');
  if (check === undefined) return original;
  return function (this: unknown, ...args: unknown[]) {
    const result: unknown = original.apply(this, args);
    if (!warned.has(method)) {
      if (typeof (result as Promise<unknown> | undefined)?.then === 'function') (result as Promise<unknown>).then(check, () => undefined);
      else check(result);
    }
    return result;
  } as F;
}
