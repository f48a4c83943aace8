// Write-behind (@WriteBehind): the call caches the value and returns at once; the method (the
// database write) runs later, in batches, with queued writes to one key merged. Use it for
// write-heavy data where speed matters more than the last second of writes: view counters,
// activity logs, leaderboards (durable: true keeps queued writes in Redis across a crash).
// Run: npx tsx samples/patterns/write-behind.ts
import { configureCache, MemoryStore, WriteBehind } from 'cachekit';

class ViewCounter {
  dbWrites = 0;
  readonly totals = new Map<string, number>(); // the "database"

  @WriteBehind({
    namespace: 'views', key: (productId: string) => productId,
    merge: (queued: number, next: number) => queued + next, batch: { size: 100, intervalMs: 1_000 },
  })
  async addViews(productId: string, views: number): Promise<void> {
    this.dbWrites++; // runs later, once per product with the merged count
    this.totals.set(productId, (this.totals.get(productId) ?? 0) + views);
  }
}

/** Counts 1,000 views over three products, then flushes; returns the database writes and totals. */
export async function main(): Promise<{ dbWritesBeforeFlush: number; dbWrites: number; totals: Record<string, number> }> {
  const runtime = configureCache({ store: new MemoryStore({ maxEntries: 1_000 }) });
  const counter = new ViewCounter();
  for (let i = 0; i < 1_000; i++) await counter.addViews(`p${(i % 3) + 1}`, 1); // each returns at once
  const dbWritesBeforeFlush = counter.dbWrites;
  await runtime.close(); // flushes the queue: one write per product
  const result = { dbWritesBeforeFlush, dbWrites: counter.dbWrites, totals: Object.fromEntries(counter.totals) };
  console.log(`write-behind: 1000 views, ${dbWritesBeforeFlush} database writes before the flush, ${result.dbWrites} after`);
  return result;
}

if (process.argv[1]?.endsWith('write-behind.ts')) void main();
