/**
 * Outside acceptance: keys (README "Keys", the @Cacheable/@Invalidate key rows, DESIGN rules),
 * through the public API only, on every store.
 */
import { Cacheable, Invalidate, WriteThrough, configureCache, MemoryStore, RedisStore, TieredStore, errors, type CacheRuntime, type CacheStore } from 'cachekit';

const url = process.env.REDIS_URL!;
const stores: [string, () => CacheStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];

describe.each(stores)('keys on %s', (_name, create) => {
  let runtime: CacheRuntime;
  beforeEach(() => {
    runtime = configureCache({ store: create(), prefix: `acc-keys-${Math.random().toString(36).slice(2)}` });
  });
  afterEach(async () => {
    await runtime.close();
  });

  function echo() {
    class Echo {
      calls = 0;
      @Cacheable()
      async get(_arg: unknown): Promise<string> {
        this.calls++;
        return `result ${this.calls}`;
      }
    }
    return new Echo();
  }

  it('arguments a user calls different get different entries (URL, Date vs ISO string, Map, Set, RegExp, Buffer, typed array, BigInt, toJSON)', async () => {
    const svc = echo();
    const args: unknown[] = [
      new URL('https://a.example/x?q=1'),
      new URL('https://a.example/x?q=2'),
      new URL('https://b.example/'),
      new Date('2024-01-01T00:00:00.000Z'),
      '2024-01-01T00:00:00.000Z',
      new Date('2024-01-02T00:00:00.000Z'),
      new Map([['a', 1]]),
      new Map([['a', 2]]),
      new Set([1, 2]),
      new Set([1, 3]),
      /ab/g,
      /ab/i,
      /ac/g,
      Buffer.from([1, 2, 3]),
      Buffer.from([1, 2, 4]),
      new Uint8Array([1, 2, 3]),
      new Float64Array([1.5]),
      10n,
      '10',
      10,
      { toJSON: () => 'one' },
      { toJSON: () => 'two' },
      null,
      undefined,
      [1, [2, 3]],
      [[1, 2], 3],
    ];
    const first = [];
    for (const a of args) first.push(await svc.get(a));
    // every argument missed once (no two shared an entry)...
    expect(svc.calls).toBe(args.length);
    expect(new Set(first).size).toBe(args.length);
    // ...and each hits its own entry again
    for (let i = 0; i < args.length; i++) expect(await svc.get(args[i])).toBe(first[i]);
    expect(svc.calls).toBe(args.length);
  });

  it('arguments a user calls equal share one entry (a fresh but equal URL, Date, Map, object in another key order)', async () => {
    const svc = echo();
    const pairs: [unknown, unknown][] = [
      [new URL('https://a.example/p'), new URL('https://a.example/p')],
      [new Date(5), new Date(5)],
      [new Map([['k', 1], ['j', 2]]), new Map([['k', 1], ['j', 2]])],
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [Buffer.from('xy'), Buffer.from('xy')],
    ];
    for (const [a, b] of pairs) {
      const before = svc.calls;
      const r = await svc.get(a);
      expect(await svc.get(b)).toBe(r);
      expect(svc.calls).toBe(before + 1);
    }
  });

  it.each([
    ['an Error', () => new Error('boom')],
    ['a class instance with #private state', () => new (class Secret { #v = Math.random(); read() { return this.#v; } })()],
    ['a Promise', () => Promise.resolve(1)],
    ['a WeakMap', () => new WeakMap()],
  ])('%s argument never shares a key: the call fails with KeyBuildError naming the argument and suggesting `key`; the method does not run', async (_what, make) => {
    const svc = echo();
    const err = await svc.get(make()).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(errors.KeyBuildError);
    expect((err as Error & { code: string }).code).toBe('E_KEY_BUILD');
    expect((err as Error).message).toMatch(/argument 0/);
    expect((err as Error).message).toMatch(/`key`|key option/);
    expect(svc.calls).toBe(0);
  });

  it('objects differing only in a symbol-keyed property never share a key (distinct entries, or KeyBuildError)', async () => {
    const svc = echo();
    const tag = Symbol('tenant');
    const outcome = async (a: unknown) =>
      svc.get(a).then(
        (v) => v,
        (e: unknown) => (e instanceof errors.KeyBuildError ? 'KeyBuildError' : e),
      );
    const one = await outcome({ [tag]: 'acme' });
    const two = await outcome({ [tag]: 'globex' });
    if (one !== 'KeyBuildError' || two !== 'KeyBuildError') expect(one).not.toBe(two);
  });

  it('cached 0, false, empty string and null are hits (the method runs once each)', async () => {
    const values = [0, false, '', null];
    class Values {
      calls = 0;
      @Cacheable()
      async get(i: number): Promise<unknown> {
        this.calls++;
        return values[i];
      }
    }
    const svc = new Values();
    for (let i = 0; i < values.length; i++) expect(await svc.get(i)).toBe(values[i]);
    for (let i = 0; i < values.length; i++) expect(await svc.get(i)).toBe(values[i]);
    expect(svc.calls).toBe(values.length);
    expect(runtime.stats().hits).toBe(values.length);
  });

  it("template values are escaped: '{0}:{1}' with ('a:b','c') and ('a','b:c') are two entries", async () => {
    class T {
      calls = 0;
      @Cacheable({ namespace: 'pair', key: '{0}:{1}' })
      async get(a: string, b: string): Promise<string> {
        this.calls++;
        return `${a}|${b}`;
      }
      @Invalidate({ namespace: 'pair', key: '{0}:{1}' })
      async drop(a: string, b: string): Promise<void> {
        void a;
        void b;
      }
    }
    const t = new T();
    expect(await t.get('a:b', 'c')).toBe('a:b|c');
    expect(await t.get('a', 'b:c')).toBe('a|b:c');
    expect(await t.get('a:b', 'c')).toBe('a:b|c');
    expect(await t.get('a', 'b:c')).toBe('a|b:c');
    expect(t.calls).toBe(2);
    await t.drop('a', 'b:c');
    expect(await t.get('a:b', 'c')).toBe('a:b|c');
    expect(t.calls).toBe(2); // the other entry stays
    expect(await t.get('a', 'b:c')).toBe('a|b:c');
    expect(t.calls).toBe(3);
  });

  it("a template path that is undefined at call time rejects with KeyBuildError and the method does not run ('{0.id}')", async () => {
    class T {
      calls = 0;
      @Cacheable({ key: 'user:{0.id}' })
      async get(user: { id?: string }): Promise<string> {
        this.calls++;
        return String(user.id);
      }
    }
    const t = new T();
    await expect(t.get({})).rejects.toBeInstanceOf(errors.KeyBuildError);
    expect(t.calls).toBe(0);
    expect(await t.get({ id: 'u1' })).toBe('u1');
  });

  it('@Invalidate without `key` drops the default key of its arguments (the entry @Cacheable of the same namespace and parameters wrote)', async () => {
    class Products {
      calls = 0;
      @Cacheable({ namespace: 'product' })
      async get(id: string, locale: string): Promise<string> {
        this.calls++;
        return `${id}/${locale}/${this.calls}`;
      }
      @Invalidate({ namespace: 'product' })
      async update(id: string, locale: string): Promise<void> {
        void id;
        void locale;
      }
    }
    const p = new Products();
    expect(await p.get('p1', 'en')).toBe('p1/en/1');
    expect(await p.get('p1', 'de')).toBe('p1/de/2');
    expect(await p.get('p1', 'en')).toBe('p1/en/1');
    await p.update('p1', 'en');
    expect(await p.get('p1', 'en')).toBe('p1/en/3');
    expect(await p.get('p1', 'de')).toBe('p1/de/2'); // another argument list's entry is kept
    expect(p.calls).toBe(3);
  });

  it('@WriteThrough without `key` writes the entry @Cacheable of the same namespace and parameters reads', async () => {
    class Settings {
      calls = 0;
      @Cacheable({ namespace: 'settings' })
      async get(_user: string): Promise<string> {
        this.calls++;
        return 'db';
      }
      @WriteThrough({ namespace: 'settings', value: () => 'written' })
      async set(user: string): Promise<void> {
        void user;
      }
    }
    const s = new Settings();
    expect(await s.get('u')).toBe('db');
    await s.set('u');
    expect(await s.get('u')).toBe('written');
    expect(s.calls).toBe(1);
  });
});

describe('key templates checked when the decorator is applied (README: options checked when applied)', () => {
  it("an unknown placeholder ('user:{x}') throws TypeError at decoration", () => {
    expect(() => {
      class A {
        @Cacheable({ key: 'user:{x}' })
        async get(id: string) {
          return id;
        }
      }
      return A;
    }).toThrow(TypeError);
  });

  it("'user:{1}' on a one-parameter method throws TypeError at decoration, on @Cacheable and @Invalidate", () => {
    expect(() => {
      class A {
        @Cacheable({ key: 'user:{1}' })
        async get(id: string) {
          return id;
        }
      }
      return A;
    }).toThrow(TypeError);
    expect(() => {
      class A {
        @Invalidate({ key: 'user:{1}' })
        async drop(id: string) {
          void id;
        }
      }
      return A;
    }).toThrow(TypeError);
  });
});
