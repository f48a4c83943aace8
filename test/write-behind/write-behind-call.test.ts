import { Cacheable, configureCache, errors, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';

describe('@WriteBehind: the call', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;

  beforeEach(() => {
    scheduler = new ManualScheduler();
    runtime = configureCache({ store: new MemoryStore() });
    db = new FakeDatabase();
  });
  afterEach(() => runtime.close());

  it('resolves before the method runs, caches the value at once, and writes it when the interval has passed', async () => {
    const database = db;
    class Settings {
      @WriteBehind({ namespace: 'settings', key: (id: string) => id, scheduler, batch: { size: 10, intervalMs: 1000 } })
      async save(id: string, value: { theme: string }) {
        await database.write([[id, value]]);
      }

      @Cacheable({ namespace: 'settings', key: (id: string) => id })
      async load(id: string) {
        return database.rows.get(id) ?? null;
      }
    }
    const s = new Settings();
    await expect(s.save('u1', { theme: 'dark' })).resolves.toBeUndefined();
    expect(db.calls).toEqual([]);
    expect(await s.load('u1')).toEqual({ theme: 'dark' });
    expect(runtime.stats().methods['Settings.load']).toMatchObject({ hits: 1, misses: 0 });

    await scheduler.advance(999);
    expect(db.calls).toEqual([]);
    await scheduler.advance(1);
    expect(db.calls).toEqual([['u1']]);
    expect(db.rows.get('u1')).toEqual({ theme: 'dark' });
    expect(runtime.stats().methods['Settings.save']).toMatchObject({ queued: 1, flushed: 1, sets: 1, retries: 0, deadLetters: 0 });
  });

  it('rejects with KeyBuildError before anything is queued', async () => {
    class Svc {
      @WriteBehind({ key: () => ({ not: 'a key' }) as unknown as string, scheduler })
      async save(_id: string, _v: number) {
        db.calls.push(['called']);
      }
    }
    await expect(new Svc().save('a', 1)).rejects.toBeInstanceOf(errors.KeyBuildError);
    expect(runtime.writeBehind?.size).toBe(0);
    expect(runtime.stats().methods['Svc.save']).toMatchObject({ queued: 0, sets: 0 });
    await runtime.flush();
    expect(db.calls).toEqual([]);
  });

  it('caches value(...args) and calls the method with the original arguments', async () => {
    const seen: unknown[][] = [];
    class Svc {
      @WriteBehind({ namespace: 'n', key: (id: string) => id, value: (_id: string, n: number) => ({ doubled: n * 2 }), scheduler })
      async save(id: string, n: number) {
        seen.push([id, n]);
      }

      @Cacheable({ namespace: 'n', key: (id: string) => id })
      async load(_id: string): Promise<unknown> {
        return 'from the database';
      }
    }
    const s = new Svc();
    await s.save('a', 21);
    expect(await s.load('a')).toEqual({ doubled: 42 });
    await runtime.flush();
    expect(seen).toEqual([['a', 21]]);
  });

  it('caches the argument at valueArg', async () => {
    class Svc {
      @WriteBehind({ namespace: 'n', key: (id: string) => id, valueArg: 1, scheduler })
      async save(_id: string, _value: string, _actor: string) {}

      @Cacheable({ namespace: 'n', key: (id: string) => id })
      async load(_id: string): Promise<unknown> {
        return 'from the database';
      }
    }
    const s = new Svc();
    await s.save('a', 'the value', 'alice');
    expect(await s.load('a')).toBe('the value');
  });

  it('coalesces queued writes of one key: the last wins', async () => {
    const seen: unknown[][] = [];
    class Svc {
      @WriteBehind({ key: (id: string) => id, scheduler })
      async save(id: string, v: number) {
        seen.push([id, v]);
      }
    }
    const s = new Svc();
    await s.save('a', 1);
    await s.save('b', 10);
    await s.save('a', 2);
    await s.save('a', 3);
    expect(runtime.writeBehind?.size).toBe(2);
    await runtime.flush();
    expect(seen).toEqual([
      ['a', 3],
      ['b', 10],
    ]);
    expect(runtime.stats().methods['Svc.save']).toMatchObject({ queued: 4, flushed: 4 });
  });

  it('combines queued writes with merge (counters) and passes the merged value as the last argument', async () => {
    const seen: unknown[][] = [];
    class Views {
      @WriteBehind({ namespace: 'views', key: (id: string) => id, value: (_id: string, n: number) => n, merge: (a: number, b: number) => a + b, scheduler })
      async addViews(id: string, n: number) {
        seen.push([id, n]);
      }

      @Cacheable({ namespace: 'views', key: (id: string) => id })
      async pendingViews(_id: string): Promise<unknown> {
        return 0;
      }
    }
    const v = new Views();
    await v.addViews('p', 1);
    await v.addViews('p', 2);
    await v.addViews('q', 5);
    await v.addViews('p', 4);
    expect(await v.pendingViews('p')).toBe(7);
    await runtime.flush();
    expect(seen).toEqual([
      ['p', 7],
      ['q', 5],
    ]);
    expect(runtime.stats().methods['Views.addViews']).toMatchObject({ queued: 4, flushed: 4 });
  });

  it('passes the merged value at valueArg when it is given', async () => {
    const seen: unknown[][] = [];
    class Views {
      @WriteBehind({ key: (id: string) => id, valueArg: 1, merge: (a: number, b: number) => a + b, scheduler })
      async addViews(id: string, n: number, source: string) {
        seen.push([id, n, source]);
      }
    }
    const v = new Views();
    await v.addViews('p', 1, 'web');
    await v.addViews('p', 2, 'app');
    await runtime.flush();
    expect(seen).toEqual([['p', 3, 'app']]);
  });

  it('runs the method with `this` of the last call of a key', async () => {
    const seen: string[] = [];
    class Repo {
      constructor(readonly name: string) {}
      @WriteBehind({ key: (id: string) => id, scheduler })
      async save(id: string, v: number) {
        seen.push(`${this.name}:${id}=${v}`);
      }
    }
    const a = new Repo('a');
    const b = new Repo('b');
    await a.save('k', 1);
    await b.save('k', 2);
    await a.save('j', 3);
    await runtime.flush();
    expect(seen).toEqual(['b:k=2', 'a:j=3']);
  });

  it('runs a static method with the class as `this`', async () => {
    const seen: string[] = [];
    class Counters {
      static label = 'counters';
      @WriteBehind({ key: (id: string) => id, scheduler })
      static async bump(id: string, n: number) {
        seen.push(`${this.label}:${id}=${n}`);
      }
    }
    await Counters.bump('x', 1);
    await runtime.flush();
    expect(seen).toEqual(['counters:x=1']);
  });

  it('with batchWith, calls the batch method once per batch with the argument lists, `this` of the first item', async () => {
    const batches: Array<{ self: string; rows: unknown[][] }> = [];
    class Repo {
      constructor(readonly name: string) {}
      @WriteBehind({ key: (id: string) => id, batchWith: 'saveMany', batch: { size: 3, intervalMs: 1000 }, scheduler })
      async save(_id: string, _v: number) {
        throw new Error('never called per item');
      }

      async saveMany(rows: Array<[string, number]>) {
        batches.push({ self: this.name, rows });
      }
    }
    const a = new Repo('a');
    const b = new Repo('b');
    for (let i = 0; i < 7; i++) await (i % 2 ? b : a).save(`k${i}`, i);
    expect(batches).toEqual([]);
    await scheduler.advance(0); // two full batches are due at once
    expect(batches).toEqual([
      { self: 'a', rows: [['k0', 0], ['k1', 1], ['k2', 2]] },
      { self: 'b', rows: [['k3', 3], ['k4', 4], ['k5', 5]] },
    ]);
    await scheduler.advance(1000); // the last, partial batch waits for the interval
    expect(batches[2]).toEqual({ self: 'a', rows: [['k6', 6]] });
    expect(batches.length).toBe(3);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 7, flushed: 7 });
  });

  it('rejects a call when batchWith names no method of the instance', async () => {
    class Repo {
      @WriteBehind({ batchWith: 'saveMany', scheduler })
      async save(_id: string) {}
    }
    await expect(new Repo().save('a')).rejects.toThrow("batchWith 'saveMany' is not a method of the instance");
    expect(runtime.writeBehind?.size).toBe(0);
  });

  it('rejects durable: true on a store without a Redis client with a DecoratorUsageError, on every call', async () => {
    class Repo {
      @WriteBehind({ durable: true, scheduler })
      async save(_id: string) {}
    }
    const r = new Repo();
    for (let i = 0; i < 2; i++) {
      const error = await r.save('a').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(errors.DecoratorUsageError);
      expect((error as { code: string }).code).toBe('E_DECORATOR_USAGE');
      expect((error as Error).message).toBe(
        "@WriteBehind on Repo.save: durable: true needs a store with a Redis client (RedisStore or TieredStore, or any store with an ioredis `client`); store 'memory' has none",
      );
    }
  });

  it('emits set for the cache write and flush for each method call', async () => {
    const events: string[] = [];
    runtime.on('set', (e) => events.push(`set ${e.key}`));
    runtime.on('flush', (e) => events.push(`flush ${e.method} ${e.items}`));
    class Svc {
      @WriteBehind({ namespace: 'ns', key: (id: string) => id, scheduler })
      async save(_id: string, _v: number) {}
    }
    const s = new Svc();
    await s.save('a', 1);
    await s.save('b', 2);
    await runtime.flush();
    expect(events).toEqual(['set cachekit:ns:a', 'set cachekit:ns:b', 'flush Svc.save 1', 'flush Svc.save 1']);
  });
});
