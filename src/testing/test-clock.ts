import { AsyncResource } from 'node:async_hooks';
import { ManualScheduler, type TimerHandle, type TimerOptions } from 'cachekit';

/**
 * The fake clock of a test cache: a `ManualScheduler` (time moves only on `advance` / `runAll`)
 * whose timers run in the async context that set them, as Node's own timers do. That keeps a
 * loader deadline firing on `advance()` attributed to the call that started it (for
 * `outcomeOf`), and `runtime.bypass()` / `refresh()` scopes intact across timers.
 */
export class TestClock extends ManualScheduler {
  override setTimer(callback: () => void, delayMs: number, options?: TimerOptions): TimerHandle {
    return super.setTimer(AsyncResource.bind(callback), delayMs, options);
  }
}
