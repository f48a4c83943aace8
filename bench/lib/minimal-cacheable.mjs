// The baseline every memory row is compared with: the smallest cache-aside decorator a team
// would write by hand. A JSON.stringify(args) key, one Map per method, an async wrapper.
// No TTL, no bound, no single-flight, no stats: the floor a decorator library competes with.

/** A legacy method decorator: cache the method's results in a Map keyed by JSON.stringify(args). */
export function minimalCacheable() {
  return (_target, _name, descriptor) => {
    const original = descriptor.value;
    const cache = new Map();
    descriptor.value = async function (...args) {
      const key = JSON.stringify(args);
      if (cache.has(key)) return cache.get(key);
      const value = await original.apply(this, args);
      cache.set(key, value);
      return value;
    };
    return descriptor;
  };
}
