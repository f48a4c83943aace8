import type { BeforeApplicationShutdown, OnApplicationShutdown } from '@nestjs/common';
import type { CacheRuntime } from 'cachekit';

/**
 * Ties the runtime to the Nest application's life: on `app.close()` (and on a shutdown signal
 * with `app.enableShutdownHooks()`), queued write-behind writes reach their methods and the
 * runtime closes.
 *
 * Two steps, because Nest calls shutdown hooks module by module (the root module first, global
 * modules last) and a module that owns the database may release it in its own
 * `onApplicationShutdown`, before ours:
 * - `beforeApplicationShutdown` (every module's, before any `onApplicationShutdown`): flush, so
 *   the writes queued so far run while every provider is still up;
 * - `onApplicationShutdown` (after the HTTP server stopped taking requests): close, which flushes
 *   what requests still in flight queued meanwhile and releases timers, signal handlers and stores.
 */
export class CachekitLifecycle implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(private readonly runtime: CacheRuntime) {}

  /** Flushes the write-behind writes queued so far (the runtime stays open). */
  async beforeApplicationShutdown(): Promise<void> {
    if (!this.runtime.isClosed) await this.runtime.flush();
  }

  /** Closes the runtime: flushes the rest, then releases timers and closes the stores. */
  async onApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
