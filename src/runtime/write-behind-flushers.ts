import type { WriteBehindOptions } from '../options/write-behind.js';
import { parseDuration } from '../duration.js';
import { WriteBehindFailedError } from '../errors.js';
import type { CacheRuntime } from './cache-runtime.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';
import { WriteBehindFlusher } from '../write-behind/flusher.js';
import type { PendingIndex } from '../write-behind/flusher-settings.js';
import { resolveFlusherSettings } from './flusher-settings.js';
import { installSignalDrain } from '../write-behind/signal-drain.js';
import type { WriteBehindRegistry } from '../write-behind/write-behind-registry.js';
import type { WriteItem } from '../write-behind/write-item.js';
import { WRITE_BEHIND_DEFAULTS } from '../defaults.js';

/**
 * The {@link WriteBehindRegistry} of one runtime: its flushers (one per decorated method), the
 * index of queued values by full key that @Cacheable consults (read-your-writes, whichever
 * method queued the write), and the signal handlers that drain before exit.
 */
export class WriteBehindFlushers implements WriteBehindRegistry, PendingIndex {
  private readonly flushers = new Map<MethodPlan, WriteBehindFlusher>();
  private readonly pendingByKey = new Map<string, WriteItem>();
  private readonly drainSignals = new Set<NodeJS.Signals>();
  private uninstallSignals: (() => void) | undefined;

  constructor(private readonly runtime: CacheRuntime) {}

  /** The registry of `runtime`, created on first use. */
  static of(runtime: CacheRuntime): WriteBehindFlushers {
    const existing = runtime.writeBehind;
    if (existing === undefined) return (runtime.writeBehind = new WriteBehindFlushers(runtime));
    // another copy of cachekit in the process (see RUNTIME_REGISTRY) has its own class of the same shape
    if (typeof (existing as Partial<WriteBehindFlushers>).flusherFor !== 'function') throw new TypeError('runtime.writeBehind holds a foreign registry');
    return existing as WriteBehindFlushers;
  }

  /** Each flusher's method and what it holds now (pending, in flight, the oldest write's age), for `runtime.inspect()`. */
  inspect(): Array<{ method: string; pending: number; inFlight: number; oldestPendingAgeMs: number }> {
    return [...this.flushers.values()].map((flusher) => ({ method: flusher.method, ...flusher.inspect() }));
  }

  /**
   * The flusher of a decorated method, created on first use.
   * @throws DecoratorUsageError when `durable: true` but the store has no Redis client
   */
  flusherFor(plan: MethodPlan, target: EntryTarget, options: WriteBehindOptions): WriteBehindFlusher {
    let flusher = this.flushers.get(plan);
    if (flusher === undefined) {
      flusher = new WriteBehindFlusher(resolveFlusherSettings(target, options, plan, this));
      this.flushers.set(plan, flusher);
      if (options.drainOnSignal) this.drainOn(options.drainOnSignal, target.method);
    }
    return flusher;
  }

  pending(key: string): WriteItem | undefined {
    return this.pendingByKey.get(key);
  }

  get hasPending(): boolean {
    return this.pendingByKey.size !== 0;
  }

  get size(): number {
    let n = 0;
    for (const flusher of this.flushers.values()) n += flusher.size;
    return n;
  }

  setPending(key: string, item: WriteItem): void {
    this.pendingByKey.set(key, item);
  }

  clearPending(key: string, item: WriteItem): void {
    if (this.pendingByKey.get(key) === item) this.pendingByKey.delete(key);
  }

  async flush(): Promise<void> {
    await Promise.all([...this.flushers.values()].map((f) => f.flush()));
  }

  async close(): Promise<void> {
    this.uninstallSignals?.();
    this.uninstallSignals = undefined;
    await Promise.all([...this.flushers.values()].map((f) => f.close()));
  }

  private drainOn(option: NonNullable<WriteBehindOptions['drainOnSignal']>, method: string): void {
    const signals = option === true ? (['SIGTERM', 'SIGINT'] as const) : typeof option === 'object' ? (option.signals ?? ['SIGTERM', 'SIGINT']) : [];
    const timeoutMs =
      typeof option === 'object' && option.timeoutMs !== undefined
        ? parseDuration(option.timeoutMs, `@WriteBehind ${method}: drainOnSignal.timeoutMs`)
        : WRITE_BEHIND_DEFAULTS.drainTimeoutMs;
    const fresh = signals.filter((s) => !this.drainSignals.has(s));
    if (fresh.length === 0) return;
    fresh.forEach((s) => this.drainSignals.add(s));
    this.uninstallSignals?.();
    this.uninstallSignals = installSignalDrain(
      [...this.drainSignals],
      timeoutMs,
      () => this.runtime.close(),
      (signal) =>
        this.runtime.report(
          new WriteBehindFailedError(`${signal}: write-behind writes were still queued after ${timeoutMs} ms; exiting anyway (${this.size} held)`),
          { operation: 'shutdown' },
        ),
    );
  }
}
