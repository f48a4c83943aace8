import { WriteBehind } from 'cachekit';
import type { AnalyticsEvent, ShopDatabase } from './shop-database.js';

/** View counts and analytics events without a cache: every call is a database write. */
export class AnalyticsService {
  constructor(protected readonly db: ShopDatabase) {}

  /** Adds views to a product's counter. */
  addViews(productId: number, views: number): Promise<void> {
    return this.db.addViews([{ productId, views }]);
  }

  /** Records one event. */
  trackEvent(event: AnalyticsEvent): Promise<void> {
    return this.db.insertEvents([event]);
  }
}

/**
 * Write-behind (@WriteBehind): views and events are many small writes that nobody needs in
 * the database this very millisecond. A call caches its value and returns at once; the
 * flusher writes later, in batches:
 * - view counts: queued increments of one product are merged (`merge: a + b`), so a hot
 *   product costs one counter update per flush, not one per view; `batchWith` writes up to
 *   500 counters in one statement.
 * - events: each is its own entry (keyed by id); `batchWith` hands up to 100 of them to
 *   `recordEvents`, which inserts them in one transaction.
 * Events are never read back, so they live in a small store of their own ('events') and
 * cannot push products out of the main cache.
 */
export class CachedAnalyticsService extends AnalyticsService {
  @WriteBehind({
    namespace: 'views',
    key: (productId: number) => productId,
    merge: (queued: number, next: number) => queued + next,
    batch: { size: 500, intervalMs: 1_000 },
    batchWith: 'recordViews',
  })
  override addViews(productId: number, views: number): Promise<void> {
    return super.addViews(productId, views);
  }

  /** Writes a batch of queued `addViews` calls (their argument lists, merged per product) in one statement. */
  recordViews(calls: ReadonlyArray<[productId: number, views: number]>): Promise<void> {
    return this.db.addViews(calls.map(([productId, views]) => ({ productId, views })));
  }

  @WriteBehind({
    namespace: 'events',
    store: 'events',
    key: (event: AnalyticsEvent) => event.id,
    ttl: '10s',
    batch: { size: 100, intervalMs: 1_000 },
    batchWith: 'recordEvents',
  })
  override trackEvent(event: AnalyticsEvent): Promise<void> {
    return super.trackEvent(event);
  }

  /** Writes a batch of queued `trackEvent` calls (their argument lists) in one transaction. */
  recordEvents(calls: ReadonlyArray<[event: AnalyticsEvent]>): Promise<void> {
    return this.db.insertEvents(calls.map(([event]) => event));
  }
}
