import 'reflect-metadata';
import type { CacheableOptions } from '../options/cacheable.js';
import type { CacheableManyOptions } from '../options/cacheable-many.js';
import type { WriteThroughOptions } from '../options/write-through.js';
import type { WriteBehindOptions } from '../options/write-behind.js';
import type { InvalidateOptions } from '../options/invalidate.js';
import type { CacheDefaultsOptions } from '../options/cache-defaults.js';

/**
 * The metadata a decorator records: what to do when the method is called. One plan per
 * decorated method, however many cachekit decorators it carries. The interceptor reads it
 * at call time (through reflect-metadata) and compiles it against the current runtime.
 */
export interface MethodPlan {
  /** The method's name as written in the class. */
  readonly methodName: string;
  /** The user's undecorated method. */
  readonly original: (...args: any[]) => any;
  /** The class that declares the method, once known (legacy mode: at once; standard mode: at the first call). */
  owner: Function | undefined;
  /** Whether the method is static (its `this` is the class). */
  readonly isStatic: boolean;
  /** The one caching decorator of the method, if any. */
  cache: CachePlan | undefined;
  /** Every @Invalidate of the method, in the order applied. */
  readonly invalidations: InvalidateOptions[];
  /** The plan compiled against the runtime of the latest call; kept here by the interceptor (a field read is cheaper than a WeakMap lookup on every call). */
  compiled?: { readonly runtime: object; readonly call: (self: unknown, args: unknown[]) => Promise<unknown> };
}

/** The caching decorator of a method and its options. */
export type CachePlan =
  | { kind: 'Cacheable'; options: CacheableOptions }
  | { kind: 'CacheableMany'; options: CacheableManyOptions }
  | { kind: 'WriteThrough'; options: WriteThroughOptions }
  | { kind: 'WriteBehind'; options: WriteBehindOptions };

/** The reflect-metadata key under which a method's plan is recorded (on the wrapper, and in legacy mode on target + property). */
export const PLAN_METADATA = Symbol.for('cachekit:plan');
/** The reflect-metadata key under which @CacheDefaults records class defaults. */
export const DEFAULTS_METADATA = Symbol.for('cachekit:defaults');

/** The plan recorded on a wrapped method, if it is one. */
export function planOf(fn: unknown): MethodPlan | undefined {
  return typeof fn === 'function' ? (Reflect.getOwnMetadata(PLAN_METADATA, fn) as MethodPlan | undefined) : undefined;
}

/** The @CacheDefaults options of a class (own or inherited). */
export function classDefaultsOf(owner: Function | undefined): CacheDefaultsOptions | undefined {
  return owner ? (Reflect.getMetadata(DEFAULTS_METADATA, owner) as CacheDefaultsOptions | undefined) : undefined;
}

/**
 * Finds the class that declares `wrapper` under `name`, walking up from `self` (an instance,
 * or the class for a static method).
 */
export function findOwner(self: unknown, name: string, wrapper: Function): Function | undefined {
  let object: unknown = self;
  while (object !== null && (typeof object === 'object' || typeof object === 'function')) {
    const descriptor = Object.getOwnPropertyDescriptor(object, name);
    if (descriptor?.value === wrapper) {
      return typeof object === 'function' ? object : (object as { constructor: Function }).constructor;
    }
    object = Object.getPrototypeOf(object);
  }
  return undefined;
}
