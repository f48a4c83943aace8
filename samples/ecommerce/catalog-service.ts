import { Cacheable } from 'cachekit';
import type { Product, ShopDatabase } from './shop-database.js';

/** The product catalog without a cache: every read is a database query. */
export class CatalogService {
  constructor(protected readonly db: ShopDatabase) {}

  /** A product by id. */
  getProduct(id: number): Promise<Product | null> {
    return this.db.getProduct(id);
  }
}

/**
 * Cache-aside (@Cacheable): the catalog is read far more than it changes, and a few products
 * get most of the traffic. A read looks in the cache first; a miss queries the database and
 * caches the product for ten minutes. Concurrent misses of one product run one query.
 */
export class CachedCatalogService extends CatalogService {
  @Cacheable({ namespace: 'product', key: (id: number) => id, ttl: '10m' })
  override getProduct(id: number): Promise<Product | null> {
    return super.getProduct(id);
  }
}
