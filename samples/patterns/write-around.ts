// Write-around (@Invalidate on the write method): writes go to the database only and drop the
// cached entry; reads use cache-aside and load the new value on their next miss. Use it for data
// written often and read rarely (prices from a repricing feed, logs): only what is read gets
// cached. The cost: the first read after a write is a miss. Run: npx tsx samples/patterns/write-around.ts
import { Cacheable, configureCache, Invalidate, MemoryStore } from 'cachekit';

const database = new Map<string, number>([['p1', 999], ['p2', 2399]]);

class PriceService {
  dbReads = 0;

  @Cacheable({ namespace: 'price', key: (productId: string) => productId })
  async getPrice(productId: string): Promise<number | null> {
    this.dbReads++; // the slow database read
    return database.get(productId) ?? null;
  }

  @Invalidate({ namespace: 'price', key: (productId: string) => productId })
  async setPrice(productId: string, cents: number): Promise<void> {
    database.set(productId, cents); // the database write; the cached price is dropped after it
  }
}

/** Reads p1's price twice, reprices p1 and p2, reads p1 twice again; returns the prices read and the counts. */
export async function main(): Promise<{ prices: Array<number | null>; dbReads: number; hitRate: number }> {
  const runtime = configureCache({ store: new MemoryStore({ maxEntries: 1_000 }) });
  const service = new PriceService();
  const prices = [await service.getPrice('p1'), await service.getPrice('p1')]; // miss, hit
  await service.setPrice('p1', 899); // p1 is dropped from the cache
  await service.setPrice('p2', 2199); // p2 was never read: nothing is cached for it
  prices.push(await service.getPrice('p1'), await service.getPrice('p1')); // miss (reloads 899), hit
  const result = { prices, dbReads: service.dbReads, hitRate: runtime.stats().hitRate };
  console.log(`write-around: prices read ${prices.join(', ')}; ${result.dbReads} database reads, hit rate ${(result.hitRate * 100).toFixed(0)}%`);
  await runtime.close();
  return result;
}

if (process.argv[1]?.endsWith('write-around.ts')) void main();
