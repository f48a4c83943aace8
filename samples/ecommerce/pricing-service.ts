import { Cacheable, Invalidate } from 'cachekit';
import type { ShopDatabase } from './shop-database.js';

/** Prices without a cache: every read and update is a database query. */
export class PricingService {
  constructor(protected readonly db: ShopDatabase) {}

  /** A product's price in cents. */
  getPrice(productId: number): Promise<number | null> {
    return this.db.getPrice(productId);
  }

  /** Sets a product's price (the repricing feed). */
  updatePrice(productId: number, cents: number): Promise<void> {
    return this.db.setPrice(productId, cents);
  }
}

/**
 * Write-around (@Invalidate on the write): the repricing feed writes prices of every product,
 * most of which nobody reads before the next change. Updates go to the database only and
 * drop the cached price; reads are cache-aside and load the new price on their next miss.
 * The cache holds only prices that are read, and never one older than the database.
 */
export class CachedPricingService extends PricingService {
  @Cacheable({ namespace: 'price', key: (productId: number) => productId, ttl: '1m' })
  override getPrice(productId: number): Promise<number | null> {
    return super.getPrice(productId);
  }

  @Invalidate({ namespace: 'price', key: (productId: number) => productId })
  override updatePrice(productId: number, cents: number): Promise<void> {
    return super.updatePrice(productId, cents);
  }
}
