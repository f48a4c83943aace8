/**
 * Outside acceptance: the runtime handle and value round-trips (README "Configuration", "Stores",
 * "Consistency"; issue 12.4-12.7, 12.9), public API only, on every store.
 */
import 'reflect-metadata';
import { Cacheable, WriteBehind, WriteThrough, Invalidate, configureCache, MemoryStore, RedisStore, TieredStore, errors, type CacheRuntime, type CacheStore } from 'cachekit';
import { Gate } from '../helpers/gate.js';

const url = process.env.REDIS_URL!;
const stores: [string, () => CacheStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];
const prefix = () => `acc-rt-${Math.random().toString(36).slice(2)}`;

describe.each(stores)('on %s', (_name, create) => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it('merged write-behind counters read back as the database value plus the queued deltas, then the database value (never the bare delta)', async () => {
    runtime = configureCache({ store: create(), prefix: prefix() });
    const db = new Map<string, number>([['p', 10]]);
    class Views {
      @WriteBehind({ namespace: 'views', key: (id: string) => id, value: (_id: string, n: number) => n, merge: (a: number, b: number) => a + b, batch: { size: 100, intervalMs: 60_000 } })
      async addViews(id: string, n: number): Promise<void> {
        db.set(id, (db.get(id) ?? 0) + n);
      }
      @Cacheable({ namespace: 'views', key: (id: string) => id })
      async getViews(id: string): Promise<number> {
        return db.get(id) ?? 0;
      }
    }
    const v = new Views();
    expect(await v.getViews('p')).toBe(10);
    await v.addViews('p', 1);
    await v.addViews('p', 2);
    expect(await v.getViews('p')).toBe(13);
    expect(await v.getViews('p')).toBe(13);
    // a key never read before: a miss with deltas queued
    await v.addViews('q', 4);
    expect(await v.getViews('q')).toBe(4);
    await runtime.flush();
    expect(db.get('p')).toBe(13);
    expect(db.get('q')).toBe(4);
    expect(await v.getViews('p')).toBe(13);
    expect(await v.getViews('q')).toBe(4);
  });

  it('no stale value after a write-through: a miss that loaded the old row before the write resolved does not leave it behind', async () => {
    runtime = configureCache({ store: create(), prefix: prefix() });
    let row = 'v1';
    const loaded = new Gate();
    const release = new Gate();
    let hold = false;
    class Repo {
      @Cacheable({ namespace: 'row', key: (id: string) => id })
      async get(id: string): Promise<string> {
        void id;
        const value = row;
        if (hold) {
          loaded.open();
          await release.opened;
        }
        return value;
      }
      @WriteThrough({ namespace: 'row', key: (id: string) => id })
      async set(id: string, value: string): Promise<string> {
        void id;
        row = value;
        return value;
      }
    }
    const r = new Repo();
    hold = true;
    const slow = r.get('k');
    await loaded.opened;
    hold = false;
    await r.set('k', 'v2');
    release.open();
    expect(await slow).toBe('v1'); // it started before the write
    expect(await r.get('k')).toBe('v2');
    expect(await r.get('k')).toBe('v2');
  });

  it('no stale value after an @Invalidate: a miss that loaded the old row before it resolved does not leave it behind', async () => {
    runtime = configureCache({ store: create(), prefix: prefix() });
    let row = 'v1';
    const loaded = new Gate();
    const release = new Gate();
    let hold = false;
    class Repo {
      @Cacheable({ namespace: 'row', key: (id: string) => id })
      async get(id: string): Promise<string> {
        void id;
        const value = row;
        if (hold) {
          loaded.open();
          await release.opened;
        }
        return value;
      }
      @Invalidate({ namespace: 'row', key: (id: string) => id })
      async set(id: string, value: string): Promise<void> {
        void id;
        row = value;
      }
    }
    const r = new Repo();
    expect(await r.get('k')).toBe('v1');
    await r.set('k', 'v1b'); // drop the entry so the next read misses
    row = 'v1';
    hold = true;
    const slow = r.get('k');
    await loaded.opened;
    hold = false;
    await r.set('k', 'v2');
    release.open();
    expect(await slow).toBe('v1');
    expect(await r.get('k')).toBe('v2');
  });

  it('resetStats() zeroes the counters and they count again afterwards', async () => {
    runtime = configureCache({ store: create(), prefix: prefix() });
    class S {
      @Cacheable()
      async get(id: string): Promise<string> {
        return id;
      }
    }
    const s = new S();
    await s.get('a');
    await s.get('a');
    expect(runtime.stats().hits).toBe(1);
    expect(runtime.stats().misses).toBe(1);
    runtime.resetStats();
    expect(runtime.stats().hits).toBe(0);
    expect(runtime.stats().misses).toBe(0);
    await s.get('a');
    await s.get('b');
    const stats = runtime.stats();
    expect(stats.hits).toBe(1);
    expect(stats.misses).toBe(1);
    expect(stats.methods['S.get']?.hits).toBe(1);
    expect(stats.methods['S.get']?.misses).toBe(1);
  });

  it('configureCache() while write-behind writes are queued: they reach their method; close() of the new runtime resolves after they ran', async () => {
    const written: string[] = [];
    const old = configureCache({ store: create(), prefix: prefix() });
    class Repo {
      @WriteBehind({ key: (id: string) => id, batch: { size: 100, intervalMs: 60_000 } })
      async save(id: string, value: string): Promise<void> {
        written.push(`${id}=${value}`);
      }
    }
    const repo = new Repo();
    await repo.save('a', '1');
    await repo.save('b', '2');
    await repo.save('a', '3');
    expect(written).toEqual([]);
    void old;
    runtime = configureCache({ store: create(), prefix: prefix() });
    await runtime.close();
    expect(written.sort()).toEqual(['a=3', 'b=2']);
    runtime = configureCache({ store: new MemoryStore() }); // for afterEach
  });
});

describe('classes come back as the same type on every store', () => {
  class Order {
    constructor(
      public id: string,
      public total: number,
      public at: Date,
    ) {}
    doubled() {
      return this.total * 2;
    }
  }
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it.each(stores)('registered with configureCache({ classes }): a hit on %s returns an instance (nested Date too)', async (_name, create) => {
    runtime = configureCache({ store: create(), prefix: prefix(), classes: [Order] } as never);
    class Orders {
      calls = 0;
      @Cacheable()
      async get(id: string): Promise<Order> {
        this.calls++;
        return new Order(id, 21, new Date(1000));
      }
    }
    const o = new Orders();
    const miss = await o.get('o1');
    const hit = await o.get('o1');
    expect(o.calls).toBe(1);
    expect(miss).toBeInstanceOf(Order);
    expect(hit).toBeInstanceOf(Order);
    expect(hit.doubled()).toBe(42);
    expect(hit.at).toBeInstanceOf(Date);
    expect(hit.at.getTime()).toBe(1000);
    expect({ ...hit }).toEqual({ id: 'o1', total: 21, at: new Date(1000) });
  });

  it('an unregistered class through RedisStore: one process warning naming the class, per method (README: logger row)', async () => {
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      class Invoice {
        constructor(public n: number) {}
      }
      runtime = configureCache({ store: new RedisStore({ connection: url }), prefix: prefix() });
      class Invoices {
        @Cacheable()
        async get(id: number): Promise<Invoice> {
          return new Invoice(id);
        }
      }
      const s = new Invoices();
      await s.get(1);
      await s.get(2);
      await s.get(1);
      await s.get(3);
      const about = emitted.mock.calls.filter(([message]) => String(message).includes('Invoice'));
      expect(about).toHaveLength(1);
      expect(about[0]![1]).toEqual({ type: 'CacheKitWarning', code: 'CK_UNREGISTERED_CLASS' });
    } finally {
      emitted.mockRestore();
    }
  });

  it('MemoryStore({ copyOnRead: true }): callers never share one object, classes kept', async () => {
    runtime = configureCache({ store: new MemoryStore({ copyOnRead: true } as never), prefix: prefix(), classes: [Order] } as never);
    class Orders {
      @Cacheable()
      async get(id: string): Promise<Order> {
        return new Order(id, 1, new Date(5));
      }
    }
    const o = new Orders();
    const a = await o.get('x');
    a.total = 999;
    const b = await o.get('x');
    const c = await o.get('x');
    expect(b.total).toBe(1);
    expect(b).not.toBe(c);
    expect(b).toBeInstanceOf(Order);
  });
});

describe('values too big for RedisStore (maxValueBytes)', () => {
  let runtime: CacheRuntime;
  afterEach(async () => {
    await runtime.close();
  });

  it('are not cached: the call returns the method value, one ValueTooLargeError report, every one counted', async () => {
    const reported: unknown[] = [];
    const store = new RedisStore({ connection: url, maxValueBytes: 1024 });
    runtime = configureCache({ store, prefix: prefix(), onError: (e: unknown) => reported.push(e) });
    class Big {
      calls = 0;
      @Cacheable()
      async get(n: number): Promise<string> {
        this.calls++;
        return 'x'.repeat(n);
      }
    }
    const b = new Big();
    expect(await b.get(5000)).toBe('x'.repeat(5000));
    expect(await b.get(5000)).toBe('x'.repeat(5000));
    expect(await b.get(6000)).toBe('x'.repeat(6000));
    expect(b.calls).toBe(3);
    expect(await b.get(10)).toBe('x'.repeat(10));
    expect(await b.get(10)).toBe('x'.repeat(10));
    expect(b.calls).toBe(4);
    const tooLarge = reported.filter((e) => e instanceof errors.ValueTooLargeError);
    expect(tooLarge).toHaveLength(1);
    expect((tooLarge[0] as { code: string }).code).toBeDefined();
    expect(store.oversizedValues).toBe(3);
  });

  it('a write-through of a too-big value drops the older entry (no older value stays behind)', async () => {
    const store = new RedisStore({ connection: url, maxValueBytes: 1024 });
    runtime = configureCache({ store, prefix: prefix(), onError: () => undefined });
    let row = 'small';
    class Repo {
      @Cacheable({ namespace: 'doc', key: (id: string) => id })
      async get(id: string): Promise<string> {
        void id;
        return row;
      }
      @WriteThrough({ namespace: 'doc', key: (id: string) => id })
      async set(id: string, v: string): Promise<string> {
        void id;
        row = v;
        return v;
      }
    }
    const r = new Repo();
    expect(await r.get('d')).toBe('small');
    const big = 'y'.repeat(4096);
    expect(await r.set('d', big)).toBe(big);
    expect(await r.get('d')).toBe(big);
  });
});

describe('metadata of other decorators survives (reflect-metadata, standard decorators)', () => {
  const Role =
    (role: string) =>
    (method: (...a: never[]) => unknown, context: ClassMethodDecoratorContext): void => {
      void context;
      Reflect.defineMetadata('role', role, method);
    };
  let runtime: CacheRuntime;
  beforeEach(() => {
    runtime = configureCache({ store: new MemoryStore(), prefix: prefix() });
  });
  afterEach(async () => {
    await runtime.close();
  });

  it('written below ours (applied first, to the original method): present on the wrapper', async () => {
    class C {
      @Cacheable()
      @Role('admin')
      async get(id: string): Promise<string> {
        return id;
      }
    }
    expect(Reflect.getMetadata('role', C.prototype.get)).toBe('admin');
    expect(await new C().get('z')).toBe('z');
  });

  it('written above ours (applied to the wrapper): present', async () => {
    class C {
      @Role('admin')
      @Cacheable()
      async get(id: string): Promise<string> {
        return id;
      }
    }
    expect(Reflect.getMetadata('role', C.prototype.get)).toBe('admin');
  });

  it('between two of ours (@Invalidate stacked on @WriteThrough)', async () => {
    class C {
      @Invalidate({ namespace: 'n', key: (id: string) => id })
      @Role('writer')
      @WriteThrough({ namespace: 'm', key: (id: string) => id })
      async set(id: string): Promise<string> {
        return id;
      }
    }
    expect(Reflect.getMetadata('role', C.prototype.set)).toBe('writer');
    expect(await new C().set('q')).toBe('q');
  });
});
