import { Inject, Injectable } from '@nestjs/common';
import { WriteBehind } from 'cachekit';
import { SHOP_DATABASE } from './tokens.js';
import type { ShopDatabase } from './shop-database.js';

/** Product page views: counted in the cache, written to the database in batches. */
@Injectable()
export class ViewsService {
  constructor(@Inject(SHOP_DATABASE) private readonly db: ShopDatabase) {}

  /**
   * Write-behind: resolves at once; the views of a product merge (summed) until the flush,
   * one second after the first queued view (`batch.intervalMs`), or when the application shuts down.
   */
  @WriteBehind({ namespace: 'views', key: (productId: number) => productId, merge: (a: number, b: number) => a + b, valueArg: 1 })
  async add(productId: number, n: number): Promise<void> {
    this.db.addViews(productId, n);
  }

  /** The count as stored in the database (queued views not included). */
  stored(productId: number): number {
    return this.db.views(productId);
  }
}
