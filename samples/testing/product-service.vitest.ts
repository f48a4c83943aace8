import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestCache, disableCaching, type TestCache } from 'cachekit/testing';
import { ProductService } from './product-service.js';

let cache: TestCache;
beforeEach(() => {
  cache = createTestCache();
});
afterEach(() => cache.close());

it('serves the second read from the cache', async () => {
  const service = new ProductService();
  await service.getProduct(1);
  expect(await cache.outcomeOf(() => service.getProduct(1))).toBe('hit');
  expect(service.loads).toBe(1);
});

it('runs the method every time with caching disabled', async () => {
  const restore = disableCaching();
  const service = new ProductService();
  await service.getProduct(1);
  await service.getProduct(1);
  expect(service.loads).toBe(2);
  restore();
});
