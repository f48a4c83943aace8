import type { Duration } from '../duration.js';
import type { KeyPart } from './key.js';
import type { ResilientReadOptions } from './resilient-reads.js';
import type { TtlFunction } from './cacheable.js';

/**
 * Options of `@CacheableMany`: batch loading on `getMany(ids)`. See docs/resilient-reads.md#batch-loading-cacheablemany. Each id is its own entry, the
 * same one `@Cacheable({ namespace, key })` of a method taking that one id reads and writes.
 */
export interface CacheableManyOptions<K = any> extends ResilientReadOptions {
  /** Key of one id's entry: a function of the id, or a template like `'{0}'` / `'{0.id}'` (the id is argument 0). @default a stable encoding of the id (as `@Cacheable` encodes `get(id)`) */
  key?: ((id: K) => KeyPart) | string;
  /** Namespace of the entries; give the one of the single-id `@Cacheable` to share its entries. @default the class's `@CacheDefaults` namespace, else `ClassName.methodName` */
  namespace?: string;
  /** Time to live of each entry, or a function of the id's result and the id. @default the runtime's `ttl` */
  ttl?: Duration | TtlFunction;
  /** Spreads expiries: each TTL is lengthened by a random fraction up to this. @default 0 */
  ttlJitter?: number;
  /** Does not store a result for which this returns true. @default never */
  unless?: (result: any) => boolean;
  /** Whether `null` and `undefined` results (and ids the method left out) are stored. @default true */
  cacheNull?: boolean;
  /** Name of a store registered in `configureCache({ stores })`. @default the default store */
  store?: string;
  /** Tags of each entry: fixed, or a function of the id. @default none */
  tags?: readonly string[] | ((id: K) => readonly string[]);
  /** What the decorated method returns: an array aligned with the ids, or a Map of id to value (ids without a value left out). @default 'array' */
  result?: 'array' | 'map';
}
