import { AsyncLocalStorage } from 'node:async_hooks';
import type { CacheRuntime } from 'cachekit';

/** Whether the cache answered a call: 'hit', 'miss', or 'none' (no cached read took part). */
export type CallOutcome = 'hit' | 'miss' | 'none';

/**
 * Times calls and tells whether the cache answered each one, even with many calls in flight:
 * every call runs in its own async context, and the runtime's `hit` and `miss` events (emitted
 * inside the call) mark the context they fire in.
 */
export class CallTimer {
  private readonly context = new AsyncLocalStorage<{ outcome: CallOutcome }>();

  /** Listens to the runtime's hit and miss events (a run without a cache needs no runtime). */
  attach(runtime: CacheRuntime): void {
    const mark = (outcome: CallOutcome) => () => {
      const current = this.context.getStore();
      if (current !== undefined && current.outcome === 'none') current.outcome = outcome;
    };
    runtime.on('hit', mark('hit'));
    runtime.on('miss', mark('miss'));
  }

  /** Runs `call`; resolves with its value, its latency in milliseconds and its outcome. */
  async time<T>(call: () => Promise<T>): Promise<{ value: T; ms: number; outcome: CallOutcome }> {
    const state = { outcome: 'none' as CallOutcome };
    const start = performance.now();
    const value = await this.context.run(state, call);
    return { value, ms: performance.now() - start, outcome: state.outcome };
  }
}
