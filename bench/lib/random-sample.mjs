// Reproducible random picks for benchmarks: a seeded PRNG (mulberry32), so every run of a
// suite reads the same keys in the same order.

/** A function returning floats in [0, 1), the same sequence for the same seed. */
export function seededRandom(seed = 0x5eed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `length` items of `items[0..size)`, picked uniformly at random (with repeats), reproducibly. */
export function randomSample(items, size, length, seed) {
  const random = seededRandom(seed);
  return Array.from({ length }, () => items[Math.floor(random() * size)]);
}
