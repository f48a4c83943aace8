import { Cacheable, CacheDefaults, WriteThrough } from 'cachekit';
import type { ShopDatabase, UserSettings } from './shop-database.js';

/** User settings without a cache: every read and save is a database query. */
export class SettingsService {
  constructor(protected readonly db: ShopDatabase) {}

  /** A user's settings. */
  getSettings(userId: number): Promise<UserSettings | null> {
    return this.db.getSettings(userId);
  }

  /** Saves a user's settings; returns them as stored. */
  saveSettings(settings: UserSettings): Promise<UserSettings> {
    return this.db.saveSettings(settings);
  }
}

/**
 * Write-through (@WriteThrough): a user who saves settings must see them on the next page.
 * A save writes the database, then caches the saved row; the call returns after both, so
 * the next read is a hit with the new value. Reads are cache-aside on the same entry.
 */
@CacheDefaults({ namespace: 'settings', ttl: '30m' })
export class CachedSettingsService extends SettingsService {
  @Cacheable({ key: (userId: number) => userId })
  override getSettings(userId: number): Promise<UserSettings | null> {
    return super.getSettings(userId);
  }

  @WriteThrough({ key: (settings: UserSettings) => settings.userId })
  override saveSettings(settings: UserSettings): Promise<UserSettings> {
    return super.saveSettings(settings);
  }
}
