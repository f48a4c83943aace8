import { createTestCache, type TestCache } from 'cachekit/testing';
import { ProductService } from './product-service.js';

describe('ProductService', () => {
  let cache: TestCache;
  beforeEach(() => {
    cache = createTestCache();
  });
  afterEach(() => cache.close());

  it('caches a product for five minutes', async () => {
    const service = new ProductService();
    expect(await cache.outcomeOf(() => service.getProduct(1))).toBe('miss');
    expect(await cache.outcomeOf(() => service.getProduct(1))).toBe('hit');
    await cache.advance(5 * 60_000); // the fake clock: no waiting
    expect(await cache.outcomeOf(() => service.getProduct(1))).toBe('miss');
    expect(cache.store.writes.map((w) => w.key)).toEqual(['cachekit:product:1', 'cachekit:product:1']);
  });
});
