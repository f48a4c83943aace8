import 'reflect-metadata';
import { Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import { Cacheable, CacheRuntime, getCacheRuntime, ManualScheduler, MemoryStore, WriteBehind, type StoredEntry } from 'cachekit';
import { CACHE_RUNTIME, CachekitModule, InjectCacheRuntime } from 'cachekit/nestjs';

// Legacy decorators (Nest's): the legacy Jest project runs this file.

/** A MemoryStore that records the keys written to it. */
class RecordingMemoryStore extends MemoryStore {
  readonly keys: string[] = [];
  override writeSync(key: string, entry: StoredEntry, ttlMs: number): boolean {
    this.keys.push(key);
    return super.writeSync(key, entry, ttlMs);
  }
  override write(key: string, entry: StoredEntry, ttlMs: number): Promise<void> {
    this.keys.push(key);
    return super.write(key, entry, ttlMs);
  }
}

@Injectable()
class Catalog {
  loads = 0;
  constructor(
    @InjectCacheRuntime() readonly byDecorator: CacheRuntime,
    @Inject(CACHE_RUNTIME) readonly byToken: CacheRuntime,
    readonly byType: CacheRuntime, // emitDecoratorMetadata
  ) {}

  @Cacheable({ namespace: 'product', key: (id: string) => id })
  async product(id: string): Promise<string> {
    this.loads++;
    return `product ${id}`;
  }
}

/** The database a write-behind method writes into; it refuses writes once closed. */
@Injectable()
class ViewsTable implements OnApplicationShutdown {
  readonly rows = new Map<string, number>();
  closed = false;
  add(id: string, n: number): void {
    if (this.closed) throw new Error(`views table closed: lost ${id} +${n}`);
    this.rows.set(id, (this.rows.get(id) ?? 0) + n);
  }
  onApplicationShutdown(): void {
    this.closed = true;
  }
}

@Injectable()
class Views {
  constructor(@Inject(ViewsTable) private readonly table: ViewsTable) {}

  @WriteBehind({ namespace: 'views', key: (id: string) => id, merge: (a: number, b: number) => a + b })
  async add(id: string, n: number): Promise<void> {
    this.table.add(id, n);
  }
}

@Injectable()
class FeatureService {
  constructor(@InjectCacheRuntime() readonly runtime: CacheRuntime) {}
}

@Module({ providers: [FeatureService], exports: [FeatureService] })
class FeatureModule {}

describe('CachekitModule.forRoot', () => {
  it('configures the global runtime and injects it by @InjectCacheRuntime(), CACHE_RUNTIME and the CacheRuntime type', async () => {
    const store = new MemoryStore();
    const app = await Test.createTestingModule({ imports: [CachekitModule.forRoot({ store })], providers: [Catalog] }).compile();
    const catalog = app.get(Catalog);
    expect(catalog.byDecorator).toBeInstanceOf(CacheRuntime);
    expect(catalog.byDecorator).toBe(getCacheRuntime());
    expect(catalog.byToken).toBe(catalog.byDecorator);
    expect(catalog.byType).toBe(catalog.byDecorator);
    expect(app.get(CACHE_RUNTIME)).toBe(catalog.byDecorator);
    expect([await catalog.product('p1'), await catalog.product('p1')]).toEqual(['product p1', 'product p1']);
    expect(catalog.loads).toBe(1);
    await app.close();
    expect(catalog.byDecorator.isClosed).toBe(true);
  });

  it('with isGlobal, a module that does not import CachekitModule injects the runtime', async () => {
    const app = await Test.createTestingModule({ imports: [CachekitModule.forRoot({ isGlobal: true }), FeatureModule] }).compile();
    expect(app.get(FeatureService).runtime).toBe(getCacheRuntime());
    await app.close();
  });

  it('without isGlobal, such a module cannot resolve the runtime (Nest names the token)', async () => {
    await expect(Test.createTestingModule({ imports: [CachekitModule.forRoot(), FeatureModule] }).compile()).rejects.toThrow(
      /Nest can't resolve dependencies of the FeatureService \(\?\)\. Please make sure that the argument Symbol\(cachekit\.nestjs\.CacheRuntime\) at index \[0\] is available in the FeatureModule module/,
    );
  });

  it('refuses a wrong option: isGlobal at once, the cache configuration when the application starts', async () => {
    expect(() => CachekitModule.forRoot({ isGlobal: 'yes' as any })).toThrow(new TypeError("CachekitModule.forRoot: isGlobal must be a boolean; got 'yes' (string)"));
    const app = Test.createTestingModule({ imports: [CachekitModule.forRoot({ prefix: '' })] }).compile();
    await expect(app).rejects.toThrow(new TypeError("configureCache: prefix must be a non-empty string; got ''"));
  });
});

describe('CachekitModule.forRootAsync', () => {
  it('takes its configuration from ConfigService (@nestjs/config), through imports, inject and useFactory', async () => {
    const store = new RecordingMemoryStore();
    const app = await Test.createTestingModule({
      imports: [
        CachekitModule.forRootAsync({
          imports: [ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ CACHE_PREFIX: 'shop-eu' })] })],
          inject: [ConfigService],
          useFactory: async (config: ConfigService) => ({ store, prefix: config.getOrThrow<string>('CACHE_PREFIX') }),
        }),
      ],
      providers: [Catalog],
    }).compile();
    const catalog = app.get(Catalog);
    expect(catalog.byToken).toBe(getCacheRuntime());
    await catalog.product('p7');
    expect(store.keys.length).toBeGreaterThan(0);
    expect(store.keys.filter((key) => !key.startsWith('shop-eu'))).toEqual([]);
    await app.close();
  });

  it('refuses wrong options up front, and a factory that returns no configuration when the application starts', async () => {
    expect(() => CachekitModule.forRootAsync({ useFactory: 1 } as any)).toThrow(new TypeError('CachekitModule.forRootAsync: useFactory must be a function; got 1 (number)'));
    expect(() => CachekitModule.forRootAsync({ useFactory: () => ({}), useClass: Object } as any)).toThrow(
      new TypeError("CachekitModule.forRootAsync: unknown option 'useClass'; known: imports, inject, useFactory, isGlobal"),
    );
    const app = Test.createTestingModule({ imports: [CachekitModule.forRootAsync({ useFactory: () => undefined as any })] }).compile();
    await expect(app).rejects.toThrow(
      new TypeError('CachekitModule.forRootAsync: useFactory: the cache configuration must be an object (what configureCache takes); got undefined (undefined)'),
    );
  });
});

describe('CachekitModule on application shutdown', () => {
  it('app.close() flushes a queued write-behind write into its method and closes the runtime', async () => {
    const scheduler = new ManualScheduler(); // nothing flushes by itself
    const app = await Test.createTestingModule({ imports: [CachekitModule.forRoot({ scheduler })], providers: [ViewsTable, Views] }).compile();
    await app.init();
    const runtime = app.get<CacheRuntime>(CACHE_RUNTIME);
    await app.get(Views).add('p1', 2);
    await app.get(Views).add('p1', 3);
    const table = app.get(ViewsTable);
    expect(table.rows.get('p1')).toBeUndefined();
    await app.close();
    expect(table.rows.get('p1')).toBe(5);
    expect(runtime.isClosed).toBe(true);
  });

  it('a global CachekitModule (whose shutdown hooks Nest calls last) flushes before the database closes in its onApplicationShutdown', async () => {
    const scheduler = new ManualScheduler();
    const errors: unknown[] = [];
    const app = await Test.createTestingModule({
      imports: [CachekitModule.forRoot({ scheduler, isGlobal: true, onError: (error) => errors.push(error) })],
      providers: [ViewsTable, Views],
    }).compile();
    await app.init();
    await app.get(Views).add('p2', 1);
    const table = app.get(ViewsTable);
    await app.close();
    expect(table.closed).toBe(true);
    expect(table.rows.get('p2')).toBe(1);
    expect(errors).toEqual([]);
  });
});
