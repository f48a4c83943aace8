/**
 * Installs handlers for `signals` that run `drain` (close the runtime: flush, then release) and
 * then let the signal do what it would have done: once our handler is removed, the signal is
 * raised again, so with no other listener the process ends by it (exit status 128 + n). If the
 * application listens to the signal itself, it decides when to exit and nothing is re-raised.
 * A second signal during the drain ends the process at once. After `timeoutMs` the signal is
 * re-raised even if the drain has not finished.
 * @returns a function that removes the handlers
 */
export function installSignalDrain(
  signals: readonly NodeJS.Signals[],
  timeoutMs: number,
  drain: () => Promise<void>,
  onTimeout: (signal: NodeJS.Signals) => void,
): () => void {
  const handlers = new Map<NodeJS.Signals, () => void>();
  const uninstall = () => {
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    handlers.clear();
  };
  for (const signal of signals) {
    const handler = () => {
      uninstall();
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      };
      const timer = setTimeout(() => {
        onTimeout(signal);
        finish();
      }, timeoutMs);
      drain().then(finish, finish);
    };
    handlers.set(signal, handler);
    process.on(signal, handler);
  }
  return uninstall;
}
