import { Inject, Injectable } from '@nestjs/common';
import { Cacheable, Invalidate, WriteThrough } from 'cachekit';
import { SHOP_DATABASE } from './tokens.js';
import type { Product, ShopDatabase } from './shop-database.js';

/** Products: read through the cache, written through it, removed from it. */
@Injectable()
export class ProductsService {
  constructor(@Inject(SHOP_DATABASE) private readonly db: ShopDatabase) {}

  /** Cache-aside: the database is read once per product until it changes. */
  @Cacheable({ namespace: 'product', key: (id: number) => id, ttl: '10m' })
  async find(id: number): Promise<Product | null> {
    return this.db.product(id);
  }

  /** Write-through: the database first, then the cache holds the saved product. */
  @WriteThrough({ namespace: 'product', key: (product: Product) => product.id, ttl: '10m' })
  async save(product: Product): Promise<Product> {
    this.db.saveProduct(product);
    return product;
  }

  /** Invalidation: the cached product goes once the row is deleted. */
  @Invalidate({ namespace: 'product', key: (id: number) => id })
  async remove(id: number): Promise<boolean> {
    return this.db.deleteProduct(id);
  }
}
