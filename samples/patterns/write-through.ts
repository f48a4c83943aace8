// Write-through (@WriteThrough): the method is the database write; when it succeeds the new value
// is cached too, and the call returns after both. Use it when reads must see a write at once
// (user settings, inventory, anything read right after it changes): writes cost a little more,
// reads stay fresh and fast. Run: npx tsx samples/patterns/write-through.ts
import { Cacheable, configureCache, MemoryStore, WriteThrough } from 'cachekit';

const database = new Map<string, { theme: string }>([['u1', { theme: 'light' }]]);

class SettingsService {
  dbReads = 0;
  dbWrites = 0;
  @Cacheable({ namespace: 'settings', key: (userId: string) => userId })
  async getSettings(userId: string): Promise<{ theme: string } | null> {
    this.dbReads++; // the slow database read
    return database.get(userId) ?? null;
  }

  @WriteThrough({ namespace: 'settings', key: (userId: string) => userId })
  async saveSettings(userId: string, settings: { theme: string }): Promise<{ theme: string }> {
    this.dbWrites++; // the database write; its result is what gets cached
    database.set(userId, settings);
    return settings;
  }
}

/** Reads a user's settings, saves new ones, reads them three times; returns the counts and the theme read. */
export async function main(): Promise<{ dbReads: number; dbWrites: number; theme: string | undefined; hitRate: number }> {
  const runtime = configureCache({ store: new MemoryStore({ maxEntries: 1_000 }) });
  const service = new SettingsService();
  await service.getSettings('u1'); // miss: read from the database, then cached
  await service.saveSettings('u1', { theme: 'dark' }); // database write, then cache write
  let theme: string | undefined;
  for (let i = 0; i < 3; i++) theme = (await service.getSettings('u1'))?.theme; // hits: the new value
  const result = { dbReads: service.dbReads, dbWrites: service.dbWrites, theme, hitRate: runtime.stats().hitRate };
  console.log(`write-through: 4 reads, 1 write, ${result.dbReads} database read, theme '${theme}', hit rate ${(result.hitRate * 100).toFixed(0)}%`);
  await runtime.close();
  return result;
}

if (process.argv[1]?.endsWith('write-through.ts')) void main();
