import { main as cacheAside } from '../../samples/patterns/cache-aside.js';
import { main as writeThrough } from '../../samples/patterns/write-through.js';
import { main as writeAround } from '../../samples/patterns/write-around.js';
import { main as writeBehind } from '../../samples/patterns/write-behind.js';

/** Runs a sample's main() with console.log captured; returns its result and what it printed. */
async function run<T>(main: () => Promise<T>): Promise<{ result: T; printed: string[] }> {
  const log = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    const result = await main();
    return { result, printed: log.mock.calls.map((args) => args.join(' ')) };
  } finally {
    log.mockRestore();
  }
}

describe('samples/patterns: one runnable file per pattern', () => {
  test('cache-aside: six reads of three products read the database three times', async () => {
    const { result, printed } = await run(cacheAside);
    expect(result).toEqual({ dbReads: 3, hitRate: 0.5 });
    expect(printed).toEqual(['cache-aside: 6 reads, 3 database reads, hit rate 50%']);
  });

  test('write-through: after a save, the next reads are hits with the saved value', async () => {
    const { result, printed } = await run(writeThrough);
    expect(result).toEqual({ dbReads: 1, dbWrites: 1, theme: 'dark', hitRate: 0.75 });
    expect(printed).toEqual(["write-through: 4 reads, 1 write, 1 database read, theme 'dark', hit rate 75%"]);
  });

  test('write-around: a price write drops the cached price; the next read reloads the new one', async () => {
    const { result, printed } = await run(writeAround);
    expect(result).toEqual({ prices: [999, 999, 899, 899], dbReads: 2, hitRate: 0.5 });
    expect(printed).toEqual(['write-around: prices read 999, 999, 899, 899; 2 database reads, hit rate 50%']);
  });

  test('write-behind: 1,000 views reach the database as one merged write per product, at close', async () => {
    const { result, printed } = await run(writeBehind);
    expect(result).toEqual({ dbWritesBeforeFlush: 0, dbWrites: 3, totals: { p1: 334, p2: 333, p3: 333 } });
    expect(printed).toEqual(['write-behind: 1000 views, 0 database writes before the flush, 3 after']);
  });
});
