import { configureCache, MemoryStore, quote } from 'cachekit';
import type { CacheConfig, CacheRuntime, CacheStatsReport, CacheStore, MemoryStoreOptions } from 'cachekit';
import { OutcomeTracker, type CallOutcome, type ObservedCall } from './outcome.js';
import { recordingStore, type RecordingStore } from './recording-store.js';
import { TestClock } from './test-clock.js';

/** Options of {@link createTestCache}: those of `configureCache` (but `scheduler`, which the test cache owns), and these. */
export interface TestCacheOptions extends Omit<CacheConfig, 'scheduler'> {
  /**
   * The store, wrapped by `recordingStore`. A store of your own with TTLs of its own follows the
   * fake clock only if you give it `testCache.clock` (a `MemoryStore({ clock })` does; Redis keeps
   * its own time). @default a `MemoryStore` on the fake clock
   */
  store?: CacheStore;
  /** Options of the default `MemoryStore` (its `clock` is the fake clock). @default {} */
  memory?: Omit<MemoryStoreOptions, 'clock'>;
  /** The fake clock's starting time, in ms since the epoch. @default 0 */
  now?: number;
  /** The jitter source of retry backoff, e.g. `() => 0.5` for exact delays. @default Math.random */
  random?: () => number;
}

/** A runtime on a fake clock, with its store recorded (see {@link createTestCache}). */
export interface TestCache {
  /** The configured runtime (what `getCacheRuntime()` returns until something configures another). */
  readonly runtime: CacheRuntime;
  /** The fake clock and timers: TTLs, grace, refresh-ahead, loader deadlines and write-behind batches. */
  readonly clock: TestClock;
  /** The runtime's store, recording every read, write and invalidation. */
  readonly store: RecordingStore;
  /** The fake time, in ms. */
  now(): number;
  /**
   * Moves the fake clock forward by `ms`, running on the way every timer that falls due, in order:
   * TTL expiry, grace and refresh-ahead times, loader deadlines (`timeout`, `hardTimeout`), and
   * write-behind batch intervals and retry backoff (of every `@WriteBehind` without a scheduler of
   * its own). Resolves once the work those timers started has run.
   */
  advance(ms: number): Promise<void>;
  /** Runs every queued write-behind write through its method now, without moving the clock (`runtime.flush()`). */
  flushNow(): Promise<void>;
  /** Runs `call` (one decorated read) and says what it did: `'hit' | 'miss' | 'stale' | 'bypass'`. */
  outcomeOf(call: () => unknown): Promise<CallOutcome>;
  /** Runs `call` and returns its value with what it did, its key and method. */
  observe<T>(call: () => T | Promise<T>): Promise<ObservedCall<Awaited<T>>>;
  /** The runtime's counters (`runtime.stats()`). */
  stats(): CacheStatsReport;
  /** Stops listening, flushes queued writes and closes the runtime and its stores. */
  close(): Promise<void>;
}

const TEST_CACHE_OPTIONS = ['memory', 'now', 'random'] as const;

/**
 * Configures the process's cache runtime for a test: a fake clock (`advance(ms)`) shared by TTLs,
 * grace, refresh-ahead, loader deadlines and the write-behind flushers, a store that records what
 * the runtime did with it, and `outcomeOf(call)` to ask what a call did. Like `configureCache`, it
 * replaces the runtime every decorated method uses; call it in `beforeEach` and `close()` it after.
 *
 * ```ts
 * const cache = createTestCache();
 * expect(await cache.outcomeOf(() => service.get(1))).toBe('miss');
 * expect(await cache.outcomeOf(() => service.get(1))).toBe('hit');
 * await cache.advance(5 * 60_000);                                  // past the TTL
 * expect(await cache.outcomeOf(() => service.get(1))).toBe('miss');
 * ```
 * @throws TypeError naming the option and quoting the value when an option is wrong
 */
export function createTestCache(options: TestCacheOptions = {}): TestCache {
  if (typeof options !== 'object' || options === null) throw new TypeError(`createTestCache: options must be an object; got ${quote(options)}`);
  const { memory, now, random, ...config } = options;
  if ('scheduler' in config) {
    throw new TypeError(`createTestCache: scheduler is the test cache's own fake clock (testCache.clock); got ${quote((config as CacheConfig).scheduler)}; options of createTestCache: ${TEST_CACHE_OPTIONS.join(', ')} and those of configureCache`);
  }
  if (now !== undefined && (typeof now !== 'number' || !Number.isFinite(now))) throw new TypeError(`createTestCache: now must be a finite number of ms; got ${quote(now)}`);
  if (random !== undefined && typeof random !== 'function') throw new TypeError(`createTestCache: random must be a function returning a number in [0, 1); got ${quote(random)}`);
  if (memory !== undefined && (typeof memory !== 'object' || memory === null)) throw new TypeError(`createTestCache: memory must be an object of MemoryStore options; got ${quote(memory)}`);
  if (memory !== undefined && 'clock' in memory) throw new TypeError(`createTestCache: memory.clock is the test cache's fake clock; got ${quote((memory as MemoryStoreOptions).clock)}`);
  if (memory !== undefined && config.store !== undefined) throw new TypeError(`createTestCache: memory configures the default MemoryStore, but store was given too; got memory ${quote(memory)}`);

  const clock = new TestClock({ now: now ?? 0, random });
  const store = recordingStore(config.store ?? new MemoryStore({ ...memory, clock }));
  const runtime = configureCache({ ...config, store, scheduler: clock });
  const tracker = new OutcomeTracker(runtime);
  return {
    runtime,
    clock,
    store,
    now: () => clock.now(),
    advance(ms: number) {
      if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) return Promise.reject(new TypeError(`testCache.advance: ms must be a finite number >= 0; got ${quote(ms)}`));
      return clock.advance(ms);
    },
    flushNow: () => runtime.flush(),
    outcomeOf: async (call) => (await tracker.observe(call)).outcome,
    observe: (call) => tracker.observe(call),
    stats: () => runtime.stats(),
    async close() {
      tracker.close();
      await runtime.close();
    },
  };
}
