/**
 * A fresh generation for an entry: a random 53-bit integer. Every write or invalidation of a
 * key gives it a new one, so a lease taken before can tell the key changed (the chance that
 * two generations of one key are equal is 2^-53).
 */
export function newGeneration(): number {
  return Math.floor(Math.random() * 0x20000000000000);
}
