// The public API as a TypeScript user writes it, type-checked with skipLibCheck false (every
// declaration file in the program is checked: cachekit's, ioredis's and what they reference).
import { Redis } from 'ioredis';
import {
  Cacheable,
  CacheDefaults,
  configureCache,
  errors,
  getCacheRuntime,
  Invalidate,
  JsonSerializer,
  MemoryStore,
  RedisStore,
  TieredStore,
  WriteBehind,
  WriteThrough,
  type CacheRuntime,
  type CacheStats,
  type CacheStore,
  type DeadLetter,
} from 'cachekit';

const memory: CacheStore = new MemoryStore({ maxEntries: 1_000 });
const redis = new RedisStore({ client: new Redis({ lazyConnect: true }), serializer: new JsonSerializer() });
const tiered = new TieredStore({ l1: new MemoryStore(), l2: redis, bus: false });
const runtime: CacheRuntime = configureCache({ store: memory, stores: { redis, tiered }, prefix: 'app', ttl: '5m' });

interface Product {
  id: string;
  price: number;
}

@CacheDefaults({ namespace: 'product', ttl: '1m' })
export class ProductService {
  @Cacheable({ key: (id: string) => id, store: 'tiered' })
  async get(id: string): Promise<Product> {
    return { id, price: 1 };
  }

  @WriteThrough({ key: (product: Product) => product.id })
  async save(product: Product): Promise<Product> {
    return product;
  }

  @Invalidate({ namespace: 'product', key: (id: string) => id })
  async remove(id: string): Promise<void> {
    void id;
  }
}

const dead: DeadLetter[] = [];

export class Counters {
  @WriteBehind({ key: (id: string) => id, merge: (a: number, b: number) => a + b, deadLetter: (letter) => void dead.push(letter) })
  async add(id: string, n: number): Promise<void> {
    void id;
    void n;
  }
}

export async function use(): Promise<number> {
  const service = new ProductService();
  const product: Product = await service.get('p1');
  await service.save(product);
  await service.remove('p1');
  await new Counters().add('p1', 1);
  await runtime.flush();
  const stats: CacheStats = getCacheRuntime().stats();
  const failed = new errors.KeyBuildError('example');
  // @ts-expect-error ttl is a number of milliseconds or a duration string
  configureCache({ ttl: true });
  await runtime.close();
  return stats.hitRate + (failed instanceof Error ? 1 : 0) + product.price;
}
