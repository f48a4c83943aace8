// Builds the timed loop of a benchmark row. Each loop is compiled from its own source text
// (new Function), so V8 keeps separate type feedback per row: a loop shared by every row
// would turn megamorphic after a few rows and tax the rows measured last.

/**
 * A loop that awaits `call(key)` once per key, one call at a time.
 * @returns an async function; one invocation performs `keys.length` operations
 */
export function sequentialLoop(label, call, keys) {
  const make = new Function(
    'call',
    'keys',
    `// ${label.replace(/\s+/g, ' ')}
    return async function sequential() {
      const n = keys.length;
      for (let i = 0; i < n; i++) await call(keys[i]);
    };`,
  );
  return make(call, keys);
}

/**
 * A loop that keeps `inFlight` calls outstanding: `inFlight` workers, each awaiting its share
 * of the keys in turn, so exactly `inFlight` operations are in flight until the keys run out.
 * @returns an async function; one invocation performs `keys.length` operations
 */
export function concurrentLoop(label, call, keys, inFlight) {
  const make = new Function(
    'call',
    'keys',
    'inFlight',
    `// ${label.replace(/\s+/g, ' ')}
    const worker = async (w) => {
      const n = keys.length;
      for (let i = w; i < n; i += inFlight) await call(keys[i]);
    };
    return function concurrent() {
      const workers = new Array(inFlight);
      for (let w = 0; w < inFlight; w++) workers[w] = worker(w);
      return Promise.all(workers);
    };`,
  );
  return make(call, keys, inFlight);
}
