import type { CacheStore, StoreRecovery } from '../cache-store.js';
import { UnknownStoreError } from '../errors.js';
import { CacheEventEmitter, type CacheEventName, type CacheEvents } from './events.js';
import { SingleFlight } from './single-flight.js';
import { StatsCounter, type CacheStatsReport } from './stats.js';
import { namespaceBase, namespaceVersionKey, tagVersionKey, entryKey } from '../stores/key-layout.js';
import { writeTombstone } from './tombstones.js';
import { expireEntry } from './expire-entry.js';
import { realScheduler } from '../write-behind/scheduler.js';
import type { InvalidateMode } from '../options/invalidate.js';
import { runInScope } from './call-scope.js';
import type { CacheHandle } from '../options/cache-handle.js';
import { UnconfirmedInvalidations } from './unconfirmed-invalidations.js';
import type { WriteBehindRegistry } from '../write-behind/write-behind-registry.js';
import type { ErrorContext, InvalidateTarget, RuntimeSettings } from '../options/cache-runtime.js';
import { RUNTIME_DEFAULTS } from '../defaults.js';
import { inspectRuntime, type CacheInspection, type MethodLabels } from './inspect.js';
import { recoveryLine } from './recovery-line.js';
import { TimedStore } from './timed-store.js';

/** The default warning's rate limit, per error code: when the last line was logged, and what was held back since. */
interface WarningWindow {
  /** When the last line of this code was logged (ms, `Date.now()`). */
  at: number;
  /** Warnings of this code not logged since then. */
  suppressed: number;
  /** The newest of them (logged at close if no later line of the code tells their count). */
  latest: string;
}

/**
 * The runtime handle: its stores and settings, stats, events, and the write-behind
 * flushers. `configureCache` builds one; `getCacheRuntime` returns the current one.
 */
export class CacheRuntime {
  /** Resolved settings (read-only). */
  readonly settings: RuntimeSettings;
  /** Shared in-flight misses, per full key. */
  readonly singleFlight = new SingleFlight();
  /** Events: hit, miss, stale, bypass, refresh, set, evict, invalidate, error, flush, retry, deadLetter, recover, load, store. */
  readonly events = new CacheEventEmitter();
  /** Invalidations a store failed to take, retried until it does; their keys bypass the cache meanwhile. */
  readonly unconfirmed: UnconfirmedInvalidations;
  /** Write-behind flushers of this runtime, created on first use. */
  writeBehind: WriteBehindRegistry | undefined;
  private readonly methodStats = new Map<string, StatsCounter>();
  private readonly methodLabels = new Map<string, MethodLabels>();
  private readonly runtimeStats = new StatsCounter();
  private readonly warnings = new Map<string, WarningWindow>();
  /** Each store as the runtime's calls use it: timed while anyone listens (see {@link timedStore}). */
  private readonly timedStores = new Map<CacheStore, TimedStore>();
  /** What write-behind calls capture of their caller's context (see {@link captureOrigins}). */
  private originCapture: (() => unknown) | undefined;
  private closed = false;
  /** Resolves when this runtime's resources are released (set by the first close or retirement). */
  private released: Promise<void> | undefined;
  /** Resolves when the runtime this one replaced has run its queued writes (see {@link replaces}). */
  private predecessorDrained: Promise<void> | undefined;
  /** The runtime that replaced this one. */
  private successor: CacheRuntime | undefined;

  constructor(settings: RuntimeSettings) {
    this.settings = settings;
    this.unconfirmed = new UnconfirmedInvalidations(settings.leaseMs, (error) => this.report(error, { operation: 'invalidate' }));
    const attached = new Set<CacheStore>();
    for (const store of [settings.store, ...Object.values(settings.stores)]) {
      if (attached.has(store)) continue;
      attached.add(store);
      store.attach?.({
        onEvict: (key) => {
          this.runtimeStats.evictions++;
          if (this.events.has('evict')) this.events.emit('evict', { key, store: store.name });
        },
        onError: (error) => this.report(error, { operation: `store:${store.name}` }),
        onRecover: (recovery) => this.recovered(recovery),
        serializer: settings.serializer,
        prefix: settings.prefix,
      });
    }
  }

  /** The store registered under `name`, or the default store. @throws UnknownStoreError */
  store(name?: string): CacheStore {
    if (name === undefined) return this.settings.store;
    const store = this.settings.stores[name];
    if (!store) {
      const known = Object.keys(this.settings.stores);
      throw new UnknownStoreError(`no store named '${name}' (configured: ${known.length ? known.join(', ') : 'none'})`);
    }
    return store;
  }

  /**
   * The store registered under `name` (or the default store) as the runtime's own calls use it:
   * each operation timed and announced by the `store` event while anyone listens to that event
   * (see `timed-store.ts`). One per store. @throws UnknownStoreError
   */
  timedStore(name?: string): CacheStore {
    const store = this.store(name);
    let timed = this.timedStores.get(store);
    if (timed === undefined) this.timedStores.set(store, (timed = new TimedStore(store, this.events)));
    return timed;
  }

  /**
   * Makes every write-behind call, when accepted, call `capture` in its caller's context and keep
   * what it returns with the write; the `flush` event of the batch hands those back as `origins`
   * (the first 32 of the batch). `instrumentCache` (cachekit/opentelemetry) captures the active
   * span context, to link a flush span to the calls whose writes it carries. One capture at a
   * time: the latest replaces the one before. @returns a function that stops this capture
   */
  captureOrigins(capture: () => unknown): () => void {
    if (typeof capture !== 'function') throw new TypeError(`captureOrigins: expected a function; got ${typeof capture}`);
    this.originCapture = capture;
    return () => {
      if (this.originCapture === capture) this.originCapture = undefined;
    };
  }

  /** The capture in force (see {@link captureOrigins}), or undefined. */
  get originCapturer(): (() => unknown) | undefined {
    return this.originCapture;
  }

  /** The live counters of a method, created on first use. */
  statsFor(method: string): StatsCounter {
    let counter = this.methodStats.get(method);
    if (!counter) this.methodStats.set(method, (counter = new StatsCounter()));
    return counter;
  }

  /** Records what a method is (its decorator, namespace and store), for {@link inspect}. Called when its plan is compiled. */
  describeMethod(method: string, labels: MethodLabels): void {
    this.methodLabels.set(method, labels);
  }

  /**
   * A snapshot for dashboards and metrics exporters: each method with its labels and counters,
   * each write-behind queue (pending, in flight, the oldest write's age, retries, dead letters),
   * and each store's state (breaker, version tracking, bus, entries). Never a key or a value.
   */
  inspect(): CacheInspection {
    return inspectRuntime(this.stats().methods, this.methodLabels, this.writeBehind, [this.settings.store, ...Object.values(this.settings.stores)]);
  }

  /** Hits, misses, hit rate and the other counters, in total and per method. */
  stats(): CacheStatsReport {
    const total = new StatsCounter();
    total.add(this.runtimeStats);
    const methods: CacheStatsReport['methods'] = {};
    for (const [name, counter] of this.methodStats) {
      total.add(counter);
      methods[name] = counter.snapshot();
    }
    return { ...total.snapshot(), methods };
  }

  /** Sets every counter back to zero; they count on from there (methods keep their counters). */
  resetStats(): void {
    for (const counter of this.methodStats.values()) counter.reset();
    this.runtimeStats.reset();
  }

  /**
   * Runs `fn` with every cached read inside it (and in everything it awaits) skipping the cache:
   * the method runs and nothing is stored. Writes and invalidations inside still keep the cache
   * right. @returns what `fn` returns
   */
  bypass<T>(fn: () => T): T {
    return runInScope('bypass', fn);
  }

  /**
   * Runs `fn` with every cached read inside it reloading: the method runs and its result is
   * stored under the lease (a write that landed meanwhile wins), so one request can force fresh
   * data without a second method. @returns what `fn` returns
   */
  refresh<T>(fn: () => T): T {
    return runInScope('refresh', fn);
  }

  /**
   * The entries of `namespace` for code that cannot use a decorator: `get`, `set`, `delete` and
   * `wrap`, on the same keys, leases and stores as `@Cacheable({ namespace, key: (id) => id })`.
   * @param store name of a registered store @default the default store
   */
  cache<V = unknown>(namespace: string, store?: string): CacheHandle<V> {
    const create = this.settings.cacheHandles as (<T>(runtime: CacheRuntime, namespace: string, store?: string) => CacheHandle<T>) | undefined;
    if (create === undefined) throw new TypeError('runtime.cache: this runtime was not built by configureCache');
    return create<V>(this, namespace, store);
  }

  /** Subscribes to an event. @returns a function that unsubscribes. */
  on<E extends CacheEventName>(event: E, listener: (payload: CacheEvents[E]) => void): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Reports a failure that the call survived: counts it, emits `error`, and calls the error
   * hook (or, without one, logs a warning at most once a minute per error code; the next line
   * of a code says how many were held back since the last, and {@link close} logs the count of
   * those still held back).
   */
  report(error: unknown, context: ErrorContext, stats?: StatsCounter): void {
    (stats ?? this.runtimeStats).errors++;
    if (this.events.has('error')) this.events.emit('error', { error, ...context });
    if (this.settings.onError) {
      try {
        this.settings.onError(error, context);
      } catch {
        // the hook's own failure must not break the call
      }
      return;
    }
    const code = (error as { code?: string } | null)?.code ?? context.operation;
    const message = `cachekit: ${context.operation} failed${context.method ? ` in ${context.method}` : ''}${context.step ? ` (${context.step})` : ''}: ${(error as Error)?.message ?? String(error)}`;
    const now = Date.now();
    const window = this.warnings.get(code);
    if (window === undefined) {
      this.warnings.set(code, { at: now, suppressed: 0, latest: '' });
      this.settings.logger.warn(message);
      return;
    }
    if (window.at + RUNTIME_DEFAULTS.errorWarningIntervalMs > now) {
      window.suppressed++;
      window.latest = message;
      return;
    }
    const held = window.suppressed;
    const since = now - window.at;
    window.at = now;
    window.suppressed = 0;
    window.latest = '';
    this.settings.logger.warn(held === 0 ? message : `${message} (${held} more like this in the last ${seconds(since)} s were not logged)`);
  }

  /** A store's dependency is back: one line through the logger (`info`, else `warn`) and a `recover` event. */
  private recovered(recovery: StoreRecovery): void {
    const logger = this.settings.logger;
    const line = recoveryLine(recovery);
    try {
      if (typeof logger.info === 'function') logger.info(line);
      else logger.warn(line);
    } catch {
      // a logger's failure must not break the store that reported
    }
    if (this.events.has('recover')) this.events.emit('recover', { store: recovery.store, what: recovery.what, downMs: recovery.downMs });
  }

  /**
   * Logs, per error code, the warnings the rate limit still holds back (the newest of them, with
   * their count), so a close never hides them.
   */
  private logHeldBackWarnings(): void {
    const now = Date.now();
    for (const window of this.warnings.values()) {
      if (window.suppressed === 0) continue;
      const { suppressed, latest, at } = window;
      window.suppressed = 0;
      window.latest = '';
      window.at = now;
      this.settings.logger.warn(`${latest} (${suppressed} like this in the last ${seconds(now - at)} s were not logged; this is the newest, logged at close)`);
    }
  }

  /**
   * Drops keys, a namespace or tags from code, exactly as `@Invalidate` would: keys get a
   * tombstone (so in-flight misses cannot store an older value), namespaces and tags a new version.
   */
  async invalidate(target: InvalidateTarget): Promise<void> {
    const store = this.timedStore(target.store);
    const { prefix } = this.settings;
    const keys: string[] = [];
    if (target.keys?.length) {
      if (target.namespace === undefined) throw new TypeError('invalidate: keys need a namespace');
      const base = namespaceBase(prefix, target.namespace);
      for (const key of target.keys) keys.push(entryKey(base, String(key)));
    }
    const versions: string[] = [];
    if (target.allEntries) {
      if (target.namespace === undefined) throw new TypeError('invalidate: allEntries needs a namespace');
      versions.push(namespaceVersionKey(prefix, target.namespace));
    }
    for (const tag of target.tags ?? []) versions.push(tagVersionKey(prefix, tag));
    if (target.mode !== undefined && target.mode !== 'remove' && target.mode !== 'expire') {
      throw new TypeError(`invalidate: mode must be 'remove' or 'expire'; got ${JSON.stringify(target.mode)}`);
    }
    if (target.mode === 'expire' && versions.length) throw new TypeError("invalidate: mode 'expire' applies to keys, not to allEntries or tags");
    await this.drop(store, keys, versions, undefined, target.mode);
  }

  /**
   * Tombstones `keys` (with `mode: 'expire'`, makes their entries stale: see `expire-entry.ts`) (a miss in flight holds the old generation and will not store; a queued write-behind value is kept, see `tombstones.ts`) and bumps
   * `versionKeys`. What the store fails to take is reported and retried in the background;
   * meanwhile this process bypasses the cache for it. @returns whether everything got through
   */
  async drop(store: CacheStore, keys: readonly string[], versionKeys: readonly string[], method?: string, mode: InvalidateMode = 'remove'): Promise<boolean> {
    const { leaseMs } = this.settings;
    const now = (this.settings.scheduler ?? realScheduler).now();
    const results = await Promise.allSettled([
      ...keys.map((key) => (mode === 'expire' ? expireEntry(store, key, now, leaseMs) : writeTombstone(store, key, leaseMs))),
      versionKeys.length ? store.bump(versionKeys) : Promise.resolve(),
    ]);
    const failedKeys = keys.filter((_, i) => results[i]!.status === 'rejected');
    const versionsFailed = results[keys.length]!.status === 'rejected';
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (!failure) return true;
    this.report(failure.reason, { operation: 'invalidate', method, key: failedKeys[0] }, method ? this.statsFor(method) : undefined);
    this.unconfirmed.add(store, failedKeys, versionsFailed ? versionKeys : []);
    return false;
  }

  /**
   * Resolves when every write-behind write queued before the call has reached its method,
   * including the writes still queued in the runtime this one replaced.
   */
  async flush(): Promise<void> {
    await this.predecessorDrained;
    await this.writeBehind?.flush();
  }

  /**
   * Resolves when the runtime this one replaced (see `configureCache`) has run its queued
   * write-behind writes; at once when there is none. This runtime's flushers wait for it before
   * their first write, so a key's older write never lands after its newer one.
   */
  get predecessorDone(): Promise<void> | undefined {
    return this.predecessorDrained;
  }

  /** Whether {@link close} was called, or another runtime replaced this one. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Flushes queued writes (after those of the runtime this one replaced), then releases timers
   * and closes every store (clients passed in by the user stay open).
   */
  close(): Promise<void> {
    return (this.released ??= this.release());
  }

  /**
   * Retires `previous`, which this runtime replaces as the global one: its queued write-behind
   * writes run into their methods, then its timers stop and it closes the stores this runtime
   * does not use. Until then this runtime's `flush()`, `close()` and write-behind flushes wait.
   * Called by `configureCache`.
   */
  replaces(previous: CacheRuntime): void {
    previous.successor ??= this;
    const retired = (previous.released ??= previous.release());
    const drained: Promise<void> = retired.then(
      () => {
        if (this.predecessorDrained === drained) this.predecessorDrained = undefined;
      },
      (error) => this.report(error, { operation: 'replace' }),
    );
    this.predecessorDrained = drained;
  }

  /** Flushes, stops, and closes its stores, except those that a runtime which replaced it uses. */
  private async release(): Promise<void> {
    this.closed = true;
    await this.predecessorDrained;
    await this.writeBehind?.close();
    const kept = new Set<CacheStore>();
    for (let next = this.successor; next !== undefined; next = next.successor) for (const source of next.storesInUse().keys()) kept.add(source);
    const own = this.storesInUse();
    const closing = [...own].filter(([source]) => !kept.has(source));
    // invalidations still retried on a store that a later runtime shares go on until they get through
    if (closing.length === own.size) this.unconfirmed.stop();
    await Promise.all(closing.map(([, store]) => store.close()));
    this.logHeldBackWarnings();
  }

  /** The stores this runtime uses, by the store the configuration passed. */
  private storesInUse(): ReadonlyMap<CacheStore, CacheStore> {
    if (this.settings.sources !== undefined) return this.settings.sources;
    const own = new Map<CacheStore, CacheStore>();
    for (const store of [this.settings.store, ...Object.values(this.settings.stores)]) own.set(store, store);
    return own;
  }
}

/** Milliseconds as whole seconds, for log lines. */
function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
