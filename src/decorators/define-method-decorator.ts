import 'reflect-metadata';
import { DecoratorUsageError } from '../errors.js';
import { PLAN_METADATA, planOf, type CachePlan, type MethodPlan } from '../runtime/plan.js';
import { intercept } from '../runtime/interceptor.js';
import type { InvalidateOptions } from '../options/invalidate.js';

/**
 * A method cachekit can decorate: it returns a Promise (the decorated call always does), and its
 * first parameters take the arguments `A` (those of the key function; more may follow).
 */
export type AsyncMethod<A extends any[] = any[]> = (...args: [...A, ...any[]]) => Promise<unknown>;

/**
 * A decorator usable in both TypeScript modes: TC39 standard decorators call it with
 * `(method, context)`, legacy `experimentalDecorators` with `(target, key, descriptor)`.
 * Its types accept only methods that return a Promise and whose parameters accept what the
 * key function takes (`key: (id: number) => id` on `get(id: string)` is a type error).
 */
export type DualMethodDecorator<A extends any[] = any[]> = {
  <T extends AsyncMethod<A>>(method: T, context: ClassMethodDecoratorContext<unknown, T>): T;
  <T extends AsyncMethod<A>>(target: object, propertyKey: string | symbol, descriptor: TypedPropertyDescriptor<T>): TypedPropertyDescriptor<T> | void;
};

/** What a decorator adds to a method's plan. */
export type PlanPart = { cache: CachePlan } | { invalidate: InvalidateOptions };

/** Checks a decorator's options against the method it is applied to (throws TypeError). */
export type MethodCheck = (method: Function, methodName: string) => void;

/**
 * Makes a method decorator that records `part` in the method's plan and wraps the method
 * once. Applying a second cachekit decorator to the same method adds to the same plan (no
 * double wrapping); two caching decorators on one method are refused. `check` runs against
 * the user's method when the decorator is applied. The wrapper carries what other decorators
 * recorded on the method before it (reflect-metadata such as NestJS's `@Get`, own properties);
 * decorators applied after it record on the wrapper itself.
 */
export function defineMethodDecorator(decorator: string, part: PlanPart, check?: MethodCheck): DualMethodDecorator {
  return function (this: unknown, ...params: unknown[]): any {
    const [first, second, third] = params;
    if (isStandardContext(second)) {
      if (second.kind !== 'method') {
        throw new DecoratorUsageError(`@${decorator} can only decorate methods; '${String(second.name)}' is a ${second.kind}`);
      }
      if (typeof first !== 'function') {
        throw new DecoratorUsageError(`@${decorator}: '${String(second.name)}' is not a function`);
      }
      return attach(decorator, part, first as MethodPlan['original'], String(second.name), undefined, second.static, check);
    }
    const name = String(second);
    const descriptor = third as PropertyDescriptor | undefined;
    if (descriptor === undefined || typeof params[2] !== 'object') {
      throw new DecoratorUsageError(`@${decorator} can only decorate methods; '${name}' is a field`);
    }
    if (descriptor.get || descriptor.set) {
      throw new DecoratorUsageError(`@${decorator} can only decorate methods; '${name}' is a getter or setter`);
    }
    if (typeof descriptor.value !== 'function') {
      throw new DecoratorUsageError(`@${decorator}: '${name}' is not a function`);
    }
    const isStatic = typeof first === 'function';
    const owner = isStatic ? (first as Function) : (first as { constructor: Function }).constructor;
    const wrapper = attach(decorator, part, descriptor.value, name, owner, isStatic, check);
    Reflect.defineMetadata(PLAN_METADATA, planOf(wrapper), first as object, second as string | symbol);
    descriptor.value = wrapper;
    return descriptor;
  } as DualMethodDecorator;
}

function isStandardContext(value: unknown): value is DecoratorContext & { kind: string; name: string | symbol; static?: boolean } {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

function attach(
  decorator: string,
  part: PlanPart,
  method: MethodPlan['original'],
  name: string,
  owner: Function | undefined,
  isStatic: boolean | undefined,
  check: MethodCheck | undefined,
): MethodPlan['original'] {
  const existing = planOf(method);
  check?.(existing ? existing.original : method, name);
  if (existing) {
    addPart(existing, decorator, part);
    if (owner) existing.owner = owner;
    return method;
  }
  const plan: MethodPlan = { methodName: name, original: method, owner, isStatic: isStatic ?? false, cache: undefined, invalidations: [] };
  addPart(plan, decorator, part);
  const wrapper = function (this: unknown, ...args: unknown[]): unknown {
    return intercept(plan, wrapper, this, args);
  };
  Object.defineProperty(wrapper, 'name', { value: method.name || name, configurable: true });
  Object.defineProperty(wrapper, 'length', { value: method.length, configurable: true });
  carryOver(method, wrapper);
  Reflect.defineMetadata(PLAN_METADATA, plan, wrapper);
  return wrapper;
}

/** Function properties a wrapper has of its own; everything else on the method is carried over. */
const OWN_FUNCTION_PROPERTIES = new Set<string | symbol>(['length', 'name', 'prototype', 'arguments', 'caller']);

/** Copies the reflect-metadata and own properties other decorators put on `method` onto `wrapper`. */
function carryOver(method: Function, wrapper: Function): void {
  for (const key of Reflect.getOwnMetadataKeys(method)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, method), wrapper);
  }
  for (const key of Reflect.ownKeys(method)) {
    if (OWN_FUNCTION_PROPERTIES.has(key)) continue;
    Object.defineProperty(wrapper, key, Object.getOwnPropertyDescriptor(method, key)!);
  }
}

function addPart(plan: MethodPlan, decorator: string, part: PlanPart): void {
  if ('invalidate' in part) {
    plan.invalidations.push(part.invalidate);
    return;
  }
  if (plan.cache) {
    throw new DecoratorUsageError(
      `@${decorator} conflicts with @${plan.cache.kind} on '${plan.methodName}': a method takes one of @Cacheable, @CacheableMany, @WriteThrough, @WriteBehind (add @Invalidate freely)`,
    );
  }
  plan.cache = part.cache;
}
