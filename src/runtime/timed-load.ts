/**
 * Runs a loader (the decorated method on a miss, a refresh or a batch) and, when anyone listens
 * to the `load` event, announces how long it took and how it ended. Nothing is measured when
 * nobody listens: the miss path pays one check.
 */
import type { CacheEventEmitter } from './events.js';

/** Who the load belongs to, for the `load` event. */
export interface LoadLabels {
  readonly method: string;
  readonly namespace: string;
  readonly store: string;
}

/**
 * Awaits `loading()` and emits `load` with its duration in ms and its outcome ('ok' or 'error').
 * @param background whether no caller waits for the load (a refresh-ahead reload)
 */
export async function timedLoad<T>(events: CacheEventEmitter, labels: LoadLabels, keys: number, loading: () => Promise<T> | T, background = false): Promise<T> {
  if (!events.has('load')) return loading();
  const started = performance.now();
  try {
    const value = await loading();
    events.emit('load', { ...labels, keys, background, durationMs: performance.now() - started, outcome: 'ok' });
    return value;
  } catch (error) {
    events.emit('load', { ...labels, keys, background, durationMs: performance.now() - started, outcome: 'error' });
    throw error;
  }
}
