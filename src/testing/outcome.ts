import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheRuntime } from 'cachekit';

/**
 * What a cached read did: answered from the cache (`hit`), ran the method (`miss`), served a
 * stale value within its grace because the reload failed or passed its deadline, or the key is
 * backing off (`stale`), or skipped the cache (`bypass`: a false `condition`, `runtime.bypass()`,
 * `disableCaching()`, an unconfirmed invalidation).
 */
export type CallOutcome = 'hit' | 'miss' | 'stale' | 'bypass';

/** A call and what it did (see `TestCache.observe`). */
export interface ObservedCall<T> {
  /** What the call resolved to. */
  readonly value: T;
  /** What its (first) cached read did. */
  readonly outcome: CallOutcome;
  /** The full key it read (absent for a bypass whose key was not built: a false `condition`). */
  readonly key: string | undefined;
  /** The decorated method, as `Class.method`. */
  readonly method: string;
}

interface Tracked {
  first?: { outcome: CallOutcome; method: string; key: string | undefined };
  staleKeys: Set<string>;
}

/**
 * Attributes the runtime's read events to the call whose async context emitted them: calls
 * observed concurrently each get their own outcome.
 */
export class OutcomeTracker {
  private readonly context = new AsyncLocalStorage<Tracked>();
  private readonly unsubscribe: Array<() => void>;

  constructor(runtime: CacheRuntime) {
    const seen = (outcome: CallOutcome) => (payload: { method: string; key?: string }) => {
      const tracked = this.context.getStore();
      if (tracked === undefined) return;
      if (outcome === 'stale') tracked.staleKeys.add(`${payload.method}\u0000${payload.key}`);
      tracked.first ??= { outcome, method: payload.method, key: payload.key };
    };
    this.unsubscribe = [
      runtime.on('hit', seen('hit')),
      runtime.on('miss', seen('miss')),
      runtime.on('stale', seen('stale')),
      runtime.on('bypass', seen('bypass')),
    ];
  }

  /**
   * Runs `call` and says what its first cached read did (a read it makes inside, such as a nested
   * cached method, does not count). A miss whose reload failed or passed its deadline and served
   * the stale value is `stale`.
   * @throws Error when the call made no cached read (the method is not decorated, or not by
   *   `@Cacheable` / `@CacheableMany`); rejects with the call's own error when it rejects
   */
  async observe<T>(call: () => T | Promise<T>): Promise<ObservedCall<Awaited<T>>> {
    if (typeof call !== 'function') throw new TypeError(`outcomeOf: expected a function that makes the call; got ${typeof call}`);
    const tracked: Tracked = { staleKeys: new Set() };
    const value = await this.context.run(tracked, call);
    const first = tracked.first;
    if (first === undefined) {
      throw new Error('outcomeOf: the call made no cached read (is the method decorated with @Cacheable or @CacheableMany, and configured on this runtime?)');
    }
    const outcome = first.outcome === 'miss' && tracked.staleKeys.has(`${first.method}\u0000${first.key}`) ? 'stale' : first.outcome;
    return { value, outcome, key: first.key, method: first.method };
  }

  /** Stops listening to the runtime. */
  close(): void {
    for (const off of this.unsubscribe) off();
  }
}
