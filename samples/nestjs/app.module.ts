import { Module, type DynamicModule, type OnApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { MemoryStore, RedisStore, TieredStore, type CacheConfig } from 'cachekit';
import { CachekitModule } from 'cachekit/nestjs';
import { ProductsController } from './products.controller.js';
import { ProductsService } from './products.service.js';
import { ShopDatabase } from './shop-database.js';
import { SHOP_DATABASE, SHOP_SETTINGS, type ShopSettings } from './tokens.js';
import { ViewsService } from './views.service.js';

/** Closes the database when the application shuts down (after cachekit flushed into it: see docs/nestjs.md). */
@Injectable()
class DatabaseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SHOP_DATABASE) private readonly db: ShopDatabase) {}
  onApplicationShutdown(): void {
    this.db.close();
  }
}

/** The settings, as a module other modules import (in an application: ConfigModule). */
@Module({})
class SettingsModule {
  static register(settings: ShopSettings): DynamicModule {
    return { module: SettingsModule, global: true, providers: [{ provide: SHOP_SETTINGS, useValue: settings }], exports: [SHOP_SETTINGS] };
  }
}

/** The cache configuration for the settings: a TieredStore on Redis when a URL is given, else a MemoryStore. */
export function cacheConfig(settings: ShopSettings): CacheConfig {
  const store = settings.redisUrl ? new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: settings.redisUrl }) }) : new MemoryStore();
  return { store, prefix: settings.cachePrefix ?? 'shop', ...(settings.scheduler ? { scheduler: settings.scheduler } : {}) };
}

/** The sample application: `AppModule.register(settings)`. */
@Module({})
export class AppModule {
  static register(settings: ShopSettings): DynamicModule {
    return {
      module: AppModule,
      imports: [
        SettingsModule.register(settings),
        CachekitModule.forRootAsync({ inject: [SHOP_SETTINGS], useFactory: (s: ShopSettings) => cacheConfig(s) }),
      ],
      controllers: [ProductsController],
      providers: [
        { provide: SHOP_DATABASE, useFactory: (s: ShopSettings) => new ShopDatabase(s.databaseFile), inject: [SHOP_SETTINGS] },
        DatabaseLifecycle,
        ProductsService,
        ViewsService,
      ],
    };
  }
}
