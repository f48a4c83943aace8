import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Cacheable, configureCache, ManualScheduler, MemoryStore, RedisStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { settle, until } from '../helpers/waiting.js';

/** A MemoryStore that counts its close() calls. */
class CountingStore extends MemoryStore {
  closes = 0;
  override close(): Promise<void> {
    this.closes++;
    return super.close();
  }
}

/** A write-behind repository whose writes wait at `gate` (when set), so a test holds a flush open. */
function repoClass(scheduler: ManualScheduler, durable = false) {
  class Repo {
    static writes: string[] = [];
    static rows = new Map<string, number>();
    static gate: Gate | undefined;
    static entered = 0;
    @WriteBehind({ key: (id: string) => id, scheduler, durable, batch: { size: 1_000, intervalMs: 60_000 } })
    async save(id: string, value: number) {
      Repo.entered++;
      await Repo.gate?.opened;
      Repo.writes.push(`${id}=${value}`);
      Repo.rows.set(id, value);
    }
  }
  return Repo;
}

describe('configureCache replacing a runtime with queued write-behind writes', () => {
  let runtimes: CacheRuntime[];
  beforeEach(() => (runtimes = []));
  afterEach(async () => {
    for (const r of runtimes) await r.close();
  });
  const configure = (...args: Parameters<typeof configureCache>) => {
    const r = configureCache(...args);
    runtimes.push(r);
    return r;
  };

  it("flushes the replaced runtime's queued writes into their method; the new runtime's close() resolves after they ran", async () => {
    const Repo = repoClass(new ManualScheduler()); // nothing flushes by itself
    const old = configure({ store: new MemoryStore() });
    const repo = new Repo();
    await repo.save('a', 1);
    await repo.save('b', 2);
    expect(old.writeBehind?.size).toBe(2);
    Repo.gate = new Gate();
    const next = configure({ store: new MemoryStore() });
    await until(() => Repo.entered === 1, 'the replaced runtime flushes');
    let closed = false;
    const closing = next.close().then(() => (closed = true));
    await settle(20);
    expect(closed).toBe(false); // the replaced runtime's write is still held in its method
    expect(old.isClosed).toBe(true);
    Repo.gate.open();
    await closing;
    expect(Repo.writes).toEqual(['a=1', 'b=2']);
    expect(old.stats().methods['Repo.save']).toMatchObject({ queued: 2, flushed: 2 });
    expect(old.writeBehind?.size).toBe(0);
  });

  it("the new runtime's write of a key runs after the replaced runtime's older write of it (the database keeps the newer value)", async () => {
    const scheduler = new ManualScheduler();
    const Repo = repoClass(scheduler);
    configure({ store: new MemoryStore() });
    const repo = new Repo();
    await repo.save('k', 1); // queued in the runtime about to be replaced
    Repo.gate = new Gate();
    const next = configure({ store: new MemoryStore() });
    await until(() => Repo.entered === 1, 'the replaced runtime writes k=1');
    await repo.save('k', 2); // queued in the new runtime...
    await scheduler.advance(60_000); // ...and due: its batch interval passed
    await settle(20);
    expect(Repo.entered).toBe(1); // k=2 waits for k=1
    Repo.gate.open();
    await next.flush();
    expect(Repo.writes).toEqual(['k=1', 'k=2']);
    expect(Repo.rows.get('k')).toBe(2);
  });

  it('closes the stores only the replaced runtime used, once its writes ran; a store both use stays open', async () => {
    const Repo = repoClass(new ManualScheduler());
    const shared = new CountingStore();
    const own = new CountingStore();
    const old = configure({ store: own, stores: { shared } });
    await new Repo().save('a', 1);
    Repo.gate = new Gate();
    const next = configure({ store: new MemoryStore(), stores: { shared } });
    await until(() => Repo.entered === 1, 'the replaced runtime flushes');
    await settle(20);
    expect([own.closes, shared.closes]).toEqual([0, 0]); // not before its write ran
    Repo.gate.open();
    await next.flush();
    expect(Repo.writes).toEqual(['a=1']);
    expect([own.closes, shared.closes]).toEqual([1, 0]);
    await old.close(); // closing the replaced runtime again changes nothing
    expect([own.closes, shared.closes]).toEqual([1, 0]);
    await next.close();
    expect([own.closes, shared.closes]).toEqual([1, 1]);
  });

  it("a chain of replacements: every replaced runtime's writes run, oldest first", async () => {
    const Repo = repoClass(new ManualScheduler());
    const repo = new Repo();
    configure({ store: new MemoryStore() });
    await repo.save('k', 1);
    Repo.gate = new Gate();
    configure({ store: new MemoryStore() });
    await repo.save('k', 2);
    const last = configure({ store: new MemoryStore() });
    await repo.save('k', 3);
    await until(() => Repo.entered === 1, 'the first runtime writes k=1');
    Repo.gate.open();
    await last.close();
    expect(Repo.writes).toEqual(['k=1', 'k=2', 'k=3']);
  });

  it('durable (RedisStore + journal): the replaced runtime writes its journaled entries and acknowledges them', async () => {
    const clients = [new Redis(process.env.REDIS_URL!), new Redis(process.env.REDIS_URL!)];
    const prefix = `replace-${randomBytes(4).toString('hex')}`;
    try {
      const Repo = repoClass(new ManualScheduler(), true);
      const old = configure({ store: new RedisStore({ client: clients[0]! }), prefix });
      const repo = new Repo();
      await repo.save('a', 1);
      await repo.save('b', 2);
      const stream = `${prefix}#wb:{Repo.save}`;
      expect(await clients[1]!.xlen(stream)).toBe(2);
      const next = configure({ store: new RedisStore({ client: clients[1]! }), prefix });
      await next.close();
      expect(Repo.writes).toEqual(['a=1', 'b=2']);
      expect(old.stats().methods['Repo.save']).toMatchObject({ queued: 2, flushed: 2 });
      expect(await clients[1]!.xlen(stream)).toBe(0); // acknowledged: nothing left to replay
    } finally {
      for (const c of clients) c.disconnect();
    }
  });
});

describe('runtime.resetStats()', () => {
  class Catalog {
    @Cacheable({ key: (id: string) => id })
    async get(id: string) {
      return `item-${id}`;
    }
  }

  it('zeroes every counter, and they count again afterwards', async () => {
    const runtime = configureCache({ store: new MemoryStore() });
    const catalog = new Catalog();
    await catalog.get('1');
    await catalog.get('1');
    await catalog.get('1');
    expect(runtime.stats()).toMatchObject({ hits: 2, misses: 1, sets: 1 });
    runtime.resetStats();
    expect(runtime.stats()).toMatchObject({ hits: 0, misses: 0, sets: 0, hitRate: 0 });
    expect(runtime.stats().methods['Catalog.get']).toMatchObject({ hits: 0, misses: 0, sets: 0 });
    await catalog.get('1');
    await catalog.get('2');
    expect(runtime.stats()).toMatchObject({ hits: 1, misses: 1, sets: 1, hitRate: 0.5 });
    expect(runtime.stats().methods['Catalog.get']).toMatchObject({ hits: 1, misses: 1, sets: 1 });
    await runtime.close();
  });
});
