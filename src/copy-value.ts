/**
 * A deep copy of a cached value that keeps its types: class instances keep their prototype
 * (own fields copied), `Date`, `RegExp`, `Map`, `Set`, arrays, `Buffer`s and typed arrays are
 * copied, shared references and cycles stay shared within the copy. Functions, Promises,
 * Errors and `Weak*` are kept by reference. State outside own fields (`#private`) is not copied.
 */
export function copyValue<T>(value: T): T {
  return typeof value !== 'object' || value === null ? value : (copyObject(value, new Map()) as T);
}

function copyNested(value: unknown, seen: Map<object, unknown>): unknown {
  return typeof value !== 'object' || value === null ? value : copyObject(value, seen);
}

function copyObject(value: object, seen: Map<object, unknown>): unknown {
  const known = seen.get(value);
  if (known !== undefined) return known;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    seen.set(value, copy);
    for (let i = 0; i < value.length; i++) if (i in value) copy[i] = copyNested(value[i], seen);
    return copy;
  }
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (value instanceof Map) {
    const copy = new Map();
    seen.set(value, copy);
    for (const [k, v] of value) copy.set(copyNested(k, seen), copyNested(v, seen));
    return copy;
  }
  if (value instanceof Set) {
    const copy = new Set();
    seen.set(value, copy);
    for (const v of value) copy.add(copyNested(v, seen));
    return copy;
  }
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): unknown }).slice?.() ?? value;
  if (value instanceof ArrayBuffer) return value.slice(0);
  if (value instanceof Promise || value instanceof Error || value instanceof WeakMap || value instanceof WeakSet) return value;
  const copy = Object.create(Object.getPrototypeOf(value) as object | null) as Record<string, unknown>;
  seen.set(value, copy);
  for (const key of Object.keys(value)) copy[key] = copyNested((value as Record<string, unknown>)[key], seen);
  return copy;
}
