// Applies legacy (experimentalDecorators) method decorators by hand, exactly as TypeScript's
// emitted `__decorate` helper does: last decorator first, a returned descriptor replaces the
// current one, and the final descriptor is defined on the prototype. The benchmarks are plain
// ESM against the compiled dist/, so this stands in for the `@Decorator` syntax.

/**
 * Decorates `Class.prototype[name]` with `decorators` (written top to bottom as in source).
 * @returns the class, for chaining
 */
export function decorateMethod(Class, name, ...decorators) {
  const proto = Class.prototype;
  let descriptor = Object.getOwnPropertyDescriptor(proto, name);
  for (let i = decorators.length - 1; i >= 0; i--) {
    descriptor = decorators[i](proto, name, descriptor) ?? descriptor;
  }
  Object.defineProperty(proto, name, descriptor);
  return Class;
}
