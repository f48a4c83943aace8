// Cache-aside (@Cacheable): look in the cache; on a miss run the method, store, return.
// Run: npx tsx samples/patterns/cache-aside.ts
import { Cacheable, configureCache, MemoryStore } from 'cachekit';

class ProductService {
  dbReads = 0;

  @Cacheable({ namespace: 'product', key: (id: string) => id, ttl: '10m' })
  async getProduct(id: string): Promise<{ id: string; name: string }> {
    this.dbReads++; // the slow database read
    return { id, name: `Product ${id}` };
  }
}

/** Reads three products twice each; returns how often the database was read. */
export async function main(): Promise<{ dbReads: number; hitRate: number }> {
  const runtime = configureCache({ store: new MemoryStore({ maxEntries: 1_000 }) });
  const products = new ProductService();
  for (const id of ['p1', 'p2', 'p3', 'p1', 'p2', 'p3']) await products.getProduct(id);
  const result = { dbReads: products.dbReads, hitRate: runtime.stats().hitRate };
  console.log(`cache-aside: 6 reads, ${result.dbReads} database reads, hit rate ${(result.hitRate * 100).toFixed(0)}%`);
  await runtime.close();
  return result;
}

if (process.argv[1]?.endsWith('cache-aside.ts')) void main();
