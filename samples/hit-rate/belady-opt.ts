/**
 * Belady's OPT: the offline optimum, the upper bound no eviction policy can beat on a trace.
 *
 * On a miss it knows the future: it evicts the resident item whose next request is furthest
 * away, or declines to admit the requested item when that item's own next request is further
 * than every resident's (bypass). This is the variant with bypass: the optimum for a cache that
 * may refuse a new key, as W-TinyLFU's admission filter does; without bypass OPT could be beaten
 * by such a policy. Items never requested again count as "next request at infinity".
 *
 * Hits are counted from request `warmup` on, as for the simulated policies. A policy reaches
 * that point with whatever its warm-up left in the cache, so the bound starts from the best
 * state any policy could have reached: the `cacheSize` items requested during the warm-up whose
 * next requests come first (Belady's rule applied to the choice of what to keep; the exhaustive
 * search in test/samples/hit-rate-bounds.test.ts agrees on every trace it tries). With no
 * warm-up that is the empty cache: plain Belady.
 *
 * Cost: one backward pass for the next-use indices, then O(log) per request on a max-heap of
 * resident items keyed by next use, with lazy deletion (an entry is stale once its item was
 * requested again or evicted; stale entries are dropped when they surface, and the heap is
 * compacted when they pile up): O(n log k) in all.
 */
import type { Workload } from './workloads.js';

/** What a replay of OPT over a workload counted. */
export interface OptResult {
  /** Requests counted (after the warm-up). */
  requests: number;
  /** Hits among the counted requests. */
  hits: number;
  /** hits / requests. */
  hitRate: number;
  /** Resident items evicted to make room for a requested one. */
  evictions: number;
  /** Misses where the requested item was not admitted (its next request was the furthest). */
  bypasses: number;
}

/**
 * For each request, the index of the next request of the same item, or `requests.length`
 * ("never again", further than any real index), in one backward pass.
 */
export function nextUseIndices(requests: Int32Array, keySpace: number): Int32Array {
  const never = requests.length;
  const next = new Int32Array(requests.length);
  const upcoming = new Int32Array(keySpace).fill(never);
  for (let i = requests.length - 1; i >= 0; i--) {
    const id = requests[i]!;
    next[i] = upcoming[id]!;
    upcoming[id] = i;
  }
  return next;
}

/**
 * Replays a workload through Belady's OPT with bypass for a cache of `cacheSize` entries,
 * counting hits from request `warmup` on (see the module comment for the starting state).
 */
export function replayBeladyOpt(workload: Workload, cacheSize: number, warmup: number): OptResult {
  if (!Number.isInteger(cacheSize) || cacheSize < 1) throw new RangeError(`cacheSize: expected an integer >= 1; got ${cacheSize}`);
  const requests = workload.requests;
  const n = requests.length;
  const start = Math.min(Math.max(0, warmup), n);
  const next = nextUseIndices(requests, workload.keySpace);
  // nextRequest[id]: index of the next request of a resident item, -1 when not resident.
  const nextRequest = new Int32Array(workload.keySpace).fill(-1);
  const heap = new NextUseHeap(cacheSize);
  let resident = 0;

  // The best state after the warm-up: the first `cacheSize` distinct items of the counted part
  // that were already requested during the warm-up.
  if (start > 0) {
    const seen = new Uint8Array(workload.keySpace);
    for (let i = 0; i < start; i++) seen[requests[i]!] = 1;
    for (let i = start; i < n && resident < cacheSize; i++) {
      const id = requests[i]!;
      if (seen[id] === 1 && nextRequest[id] === -1) {
        nextRequest[id] = i;
        heap.push(i, id);
        resident++;
      }
    }
  }

  let hits = 0;
  let evictions = 0;
  let bypasses = 0;
  for (let i = start; i < n; i++) {
    const id = requests[i]!;
    const nextUse = next[i]!;
    if (nextRequest[id] !== -1) {
      // A resident item's next request is this one; its old heap entry goes stale.
      hits++;
      nextRequest[id] = nextUse;
      heap.push(nextUse, id);
      if (heap.size > 2 * cacheSize + 1024) heap.compact(nextRequest);
      continue;
    }
    if (resident < cacheSize) {
      if (nextUse === n) {
        bypasses++; // never requested again: keeping it cannot win anything
        continue;
      }
      nextRequest[id] = nextUse;
      heap.push(nextUse, id);
      resident++;
      continue;
    }
    heap.dropStale(nextRequest);
    if (heap.topKey() > nextUse) {
      const victim = heap.topItem();
      heap.pop();
      nextRequest[victim] = -1;
      evictions++;
      nextRequest[id] = nextUse;
      heap.push(nextUse, id);
    } else {
      bypasses++;
    }
  }
  const counted = n - start;
  return { requests: counted, hits, hitRate: counted === 0 ? 0 : hits / counted, evictions, bypasses };
}

/**
 * A binary max-heap of (next use, item) pairs in two parallel typed arrays. An entry is live
 * while `nextRequest[item] === key`; any other entry is stale and is skipped lazily.
 */
class NextUseHeap {
  private keys: Int32Array;
  private items: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.keys = new Int32Array(Math.max(16, 2 * capacity));
    this.items = new Int32Array(this.keys.length);
  }

  push(key: number, item: number): void {
    if (this.size === this.keys.length) this.grow();
    let i = this.size++;
    const keys = this.keys;
    const items = this.items;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (keys[parent]! >= key) break;
      keys[i] = keys[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    keys[i] = key;
    items[i] = item;
  }

  topKey(): number {
    return this.keys[0]!;
  }

  topItem(): number {
    return this.items[0]!;
  }

  pop(): void {
    const last = --this.size;
    if (last > 0) this.siftDown(0, this.keys[last]!, this.items[last]!);
  }

  /** Pops stale entries until the top is live (the heap always holds one live entry per resident). */
  dropStale(nextRequest: Int32Array): void {
    while (this.size > 0 && nextRequest[this.items[0]!] !== this.keys[0]) this.pop();
  }

  /** Drops every stale entry and restores the heap order, in O(size). */
  compact(nextRequest: Int32Array): void {
    let live = 0;
    for (let i = 0; i < this.size; i++) {
      const item = this.items[i]!;
      if (nextRequest[item] === this.keys[i]) {
        this.keys[live] = this.keys[i]!;
        this.items[live] = item;
        live++;
      }
    }
    this.size = live;
    for (let i = (live >> 1) - 1; i >= 0; i--) this.siftDown(i, this.keys[i]!, this.items[i]!);
  }

  private siftDown(from: number, key: number, item: number): void {
    const keys = this.keys;
    const items = this.items;
    const size = this.size;
    let i = from;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && keys[child + 1]! > keys[child]!) child++;
      if (keys[child]! <= key) break;
      keys[i] = keys[child]!;
      items[i] = items[child]!;
      i = child;
    }
    keys[i] = key;
    items[i] = item;
  }

  private grow(): void {
    const keys = new Int32Array(this.keys.length * 2);
    const items = new Int32Array(keys.length);
    keys.set(this.keys);
    items.set(this.items);
    this.keys = keys;
    this.items = items;
  }
}
