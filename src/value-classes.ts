import { quote } from './duration.js';

/**
 * The classes whose instances come back as instances from every store (`configureCache({ classes })`).
 * A class is known by a wire name: its `name`, or the key it was given in the record form
 * (`classes: { Order }`, which a minifier cannot rename). Serializers write an instance of a
 * registered class with its wire name and read it back as an instance: `Object.create` of the
 * class's prototype with the fields assigned (the constructor does not run). Registrations are
 * for the process: every runtime and serializer shares them.
 */

/** What `configureCache({ classes })` takes: classes, or a record of wire name to class. */
export type ClassesOption = ReadonlyArray<abstract new (...args: any[]) => unknown> | Readonly<Record<string, abstract new (...args: any[]) => unknown>>;

const byName = new Map<string, Function>();
const byClass = new Map<Function, string>();

/**
 * Registers classes for revival.
 * @throws TypeError naming `owner` when an entry is not a class, or two classes claim one name
 */
export function registerClasses(owner: string, classes: unknown): void {
  if (classes === undefined) return;
  if (typeof classes !== 'object' || classes === null) {
    throw new TypeError(`${owner}: classes must be an array of classes or a record of name to class, like [Order] or { Order }; got ${quote(classes)}`);
  }
  const list = Array.isArray(classes);
  const entries: Array<[string, unknown, string]> = list
    ? (classes as unknown[]).map((c, i) => [typeof c === 'function' ? c.name : '', c, `classes[${i}]`])
    : Object.entries(classes).map(([name, c]) => [name, c, `classes.${name}`]);
  for (const [name, cls, path] of entries) {
    if (typeof cls !== 'function' || !cls.prototype || name === '') {
      throw new TypeError(`${owner}: ${path} must be a named class; got ${quote(cls)}`);
    }
    const known = byName.get(name);
    if (known !== undefined && known !== cls) {
      throw new TypeError(`${owner}: classes: two different classes are named '${name}'; register one under another name, like { ${name}2: ${name} }`);
    }
    byName.set(name, cls);
    byClass.set(cls, name);
  }
}

/** The wire name of a registered class (exactly that class: a subclass registers on its own). */
export function registeredName(cls: unknown): string | undefined {
  return byClass.size === 0 ? undefined : byClass.get(cls as Function);
}

/** Whether any class is registered (a serializer skips its checks otherwise). */
export function hasRegisteredClasses(): boolean {
  return byClass.size > 0;
}

/** An instance of the class registered as `name`, with `fields` assigned; the fields themselves when the name is unknown here. */
export function reviveInstance(name: string, fields: unknown): unknown {
  const cls = byName.get(name);
  if (cls === undefined || typeof fields !== 'object' || fields === null) return fields;
  return Object.assign(Object.create(cls.prototype as object) as object, fields);
}

/** Whether `value` is an object of a user class (not a plain object, array or built-in a serializer keeps). */
export function isClassInstance(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null || Array.isArray(value)) return false;
  if (value instanceof Date || value instanceof Map || value instanceof Set || value instanceof RegExp || value instanceof Error || ArrayBuffer.isView(value)) return false;
  if (value instanceof ArrayBuffer || value instanceof Promise) return false;
  return Object.getPrototypeOf(proto) !== null || typeof (proto as { hasOwnProperty?: unknown }).hasOwnProperty !== 'function';
}

/**
 * The name of the first class whose instances `value` holds (itself, in arrays, fields, Map
 * values, Set items) that is not registered, looking at most `budget` objects; undefined if none.
 */
export function unregisteredClassIn(value: unknown, budget = 64): string | undefined {
  const queue: unknown[] = [value];
  for (let i = 0; i < queue.length && i < budget; i++) {
    const v = queue[i];
    if (typeof v !== 'object' || v === null) continue;
    if (isClassInstance(v) && registeredName(v.constructor) === undefined) {
      return (v.constructor as { name?: string } | undefined)?.name || 'anonymous';
    }
    if (v instanceof Map) queue.push(...v.values());
    else if (v instanceof Set) queue.push(...v);
    else if (Array.isArray(v)) queue.push(...v);
    else if (!(v instanceof Date) && !ArrayBuffer.isView(v)) queue.push(...Object.values(v));
  }
  return undefined;
}
