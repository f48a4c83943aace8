import { MemoryStore, type EvictionPolicy } from 'cachekit';
import type { Workload } from './workloads.js';

/** What one replay of a workload measured. */
export interface ReplayResult {
  /** Requests counted (after the warm-up). */
  requests: number;
  /** Hits among the counted requests. */
  hits: number;
  /** hits / requests. */
  hitRate: number;
  /** Entries the store evicted for room over the whole replay (warm-up included). */
  evictions: number;
}

const keyCache = new WeakMap<Workload, string[]>();

/** The cache key of each item id of a workload (built once per workload). */
export function workloadKeys(workload: Workload): string[] {
  let keys = keyCache.get(workload);
  if (keys === undefined) {
    keys = new Array<string>(workload.keySpace);
    for (let i = 0; i < workload.keySpace; i++) keys[i] = `item:${i}`;
    keyCache.set(workload, keys);
  }
  return keys;
}

/**
 * Replays a workload against a fresh {@link MemoryStore} of `cacheSize` entries with the given
 * eviction policy, as a cache-aside caller would: read the key; on a miss, write it. The first
 * `warmup` requests fill the cache and are not counted.
 */
export function replayThroughMemoryStore(workload: Workload, policy: EvictionPolicy, cacheSize: number, warmup: number): ReplayResult {
  const store = new MemoryStore({ maxEntries: cacheSize, policy });
  let evictions = 0;
  store.attach({ onEvict: () => evictions++ });
  const keys = workloadKeys(workload);
  const requests = workload.requests;
  const start = Math.min(warmup, requests.length);
  let hits = 0;
  for (let i = 0; i < requests.length; i++) {
    const id = requests[i]!;
    const key = keys[id]!;
    const entry = store.readSync(key, NO_VERSIONS).entry;
    // an evicted key reads as a tombstone (a miss), see MemoryStore
    if (entry !== undefined && entry.d !== 1) {
      if (i >= start) hits++;
    } else {
      store.writeSync(key, { v: id, g: 0 }, 0);
    }
  }
  const counted = requests.length - start;
  return { requests: counted, hits, hitRate: counted === 0 ? 0 : hits / counted, evictions };
}

const NO_VERSIONS: readonly string[] = [];
