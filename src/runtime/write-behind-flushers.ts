import type { WriteBehindOptions } from '../options/write-behind.js';
import { parseDuration } from '../duration.js';
import { WriteBehindFailedError } from '../errors.js';
import type { CacheRuntime } from './cache-runtime.js';
import type { EntryTarget } from './entry-target.js';
import type { MethodPlan } from './plan.js';
import { WriteBehindFlusher } from '../write-behind/flusher.js';
import { resolveFlusherSettings } from './flusher-settings.js';
import { installSignalDrain } from '../write-behind/signal-drain.js';
import type { WriteBehindRegistry } from '../write-behind/write-behind-registry.js';
import type { WriteItem } from '../write-behind/write-item.js';
import { WRITE_BEHIND_DEFAULTS } from '../defaults.js';

/**
 * The {@link WriteBehindRegistry} of one runtime: its flushers (one per decorated method), the
 * queued values by full key that @Cacheable consults (read-your-writes, whichever method queued
 * the write: each flusher's newest item of the key, the newest of them by the one numbering the
 * flushers share), and the signal handlers that drain before exit.
 */
export class WriteBehindFlushers implements WriteBehindRegistry {
  private readonly flushers = new Map<MethodPlan, WriteBehindFlusher>();
  /** The flushers, in an array: `pending` and `hasPending` run on every read while writes are queued. */
  private readonly list: WriteBehindFlusher[] = [];
  /** Numbers the items of every flusher (see `ItemSequence`). */
  private readonly sequence = { last: 0, next: (): number => ++this.sequence.last };
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
      flusher = new WriteBehindFlusher(resolveFlusherSettings(target, options, plan, this.sequence));
      this.flushers.set(plan, flusher);
      this.list.push(flusher);
      if (options.drainOnSignal) this.drainOn(options.drainOnSignal, target.method);
    }
    return flusher;
  }

  pending(key: string): WriteItem | undefined {
    const list = this.list;
    if (list.length === 1) return list[0]!.pendingOf(key);
    let newest: WriteItem | undefined;
    for (let i = 0; i < list.length; i++) {
      const item = list[i]!.pendingOf(key);
      if (item !== undefined && (newest === undefined || item.seq > newest.seq)) newest = item;
    }
    return newest;
  }

  newerThan(item: WriteItem): WriteItem | undefined {
    // one flusher: the key's newer item, if any, is the one queued behind `item`
    if (this.list.length === 1) return item.next;
    const newest = this.pending(item.key);
    return newest !== item ? newest : undefined;
  }

  unsettledOf(key: string): WriteItem[] {
    const items: WriteItem[] = [];
    for (const flusher of this.list) items.push(...flusher.unsettledOf(key));
    return items;
  }

  get flusherCount(): number {
    return this.list.length;
  }

  get hasPending(): boolean {
    const list = this.list;
    for (let i = 0; i < list.length; i++) if (list[i]!.holdsItems) return true;
    return false;
  }

  get size(): number {
    let n = 0;
    for (const flusher of this.flushers.values()) n += flusher.size;
    return n;
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
