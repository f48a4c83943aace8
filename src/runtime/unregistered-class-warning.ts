import { MemoryStore } from '../stores/memory-store.js';
import type { CacheStore } from '../stores/store.js';
import { unregisteredClassIn } from '../value-classes.js';

/** Methods already warned about, so each is warned once per process. */
const warned = new Set<string>();

/**
 * `original`, watched for results that hold instances of classes not registered with
 * `configureCache({ classes })`: a store that serializes (Redis, tiered, a custom one) returns
 * those as plain objects on a hit, while the miss returned the instance. The first such result of
 * a method emits one warning naming the class (code `CK_UNREGISTERED_CLASS`). Only misses call
 * the method, so hits pay nothing; a MemoryStore keeps the objects themselves and is not watched.
 */
export function watchForUnregisteredClasses<F extends (...args: any[]) => any>(original: F, method: string, store: CacheStore): F {
  if (store instanceof MemoryStore || warned.has(method)) return original;
  const check = (result: unknown): void => {
    if (warned.has(method)) return;
    const name = unregisteredClassIn(result);
    if (name === undefined) return;
    warned.add(method);
    process.emitWarning(
      `${method} returned an instance of ${name}, but class ${name} is not registered: hits from the '${store.name}' store return a plain object ` +
        `(the miss returned the instance). Register it: configureCache({ classes: [${name}] })`,
      { type: 'CacheKitWarning', code: 'CK_UNREGISTERED_CLASS' },
    );
  };
  return function (this: unknown, ...args: unknown[]) {
    const result: unknown = original.apply(this, args);
    if (!warned.has(method)) {
      if (typeof (result as Promise<unknown> | undefined)?.then === 'function') (result as Promise<unknown>).then(check, () => undefined);
      else check(result);
    }
    return result;
  } as F;
}
