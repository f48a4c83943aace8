import type { WriteBehindScheduler } from '../options/write-behind-scheduler.js';

type RealHandle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

/** Node's own timers: `setImmediate` for a delay of 0, `setTimeout` otherwise. */
export const realScheduler: WriteBehindScheduler = {
  now: () => Date.now(),
  setTimer(callback, delayMs, options): RealHandle {
    if (delayMs <= 0) {
      const immediate = setImmediate(callback);
      if (options?.background) immediate.unref();
      return { immediate };
    }
    const timeout = setTimeout(callback, delayMs);
    if (options?.background) timeout.unref();
    return { timeout };
  },
  clearTimer(handle) {
    const h = handle as RealHandle | undefined;
    if (h === undefined || h === null) return;
    if ('immediate' in h) clearImmediate(h.immediate);
    else clearTimeout(h.timeout);
  },
  random: Math.random,
};
