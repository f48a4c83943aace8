// Builds the timed loop of a benchmark row. Each loop is compiled from its own source text
// (new Function), so V8 keeps separate type feedback per row: a loop shared by every row
// would turn megamorphic after a few rows and tax the rows measured last.

/**
 * A loop that awaits `call(key)` for `perRun` keys, one call at a time, going round the keys
 * (each invocation continues where the previous one stopped).
 * @returns an async function; one invocation performs `perRun` operations
 */
export function sequentialLoop(label, call, keys, perRun = keys.length) {
  const make = new Function(
    'call',
    'keys',
    'perRun',
    `// ${label.replace(/\s+/g, ' ')}
    let next = 0;
    return async function sequential() {
      const n = keys.length;
      for (let done = 0; done < perRun; done++) {
        await call(keys[next]);
        next = next + 1 === n ? 0 : next + 1;
      }
    };`,
  );
  return make(call, keys, perRun);
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
