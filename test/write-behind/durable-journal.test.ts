import { randomBytes } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import {
  Cacheable, configureCache, errors, ManualScheduler, MemoryStore, MsgpackSerializer, recoverWriteBehind, RedisStore, TieredStore, WriteBehind,
  type CacheRuntime, type ErrorContext, type WriteBehindRegistry,
} from '../../src/index.js';

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const msgpack = new MsgpackSerializer();

/**
 * Durable write-behind against a real redis-server: the journal is a Redis Stream; entries are
 * appended before a call resolves, acknowledged after the write, and claimed by another
 * process after a crash. A "crashed" runtime is one left behind without close(): its manual
 * scheduler never runs its heartbeat again, as if the process had died.
 */
describe('@WriteBehind durable: the Redis Stream journal', () => {
  let clients: Redis[];
  let runtimes: CacheRuntime[];
  let prefix: string;
  let reported: Array<{ error: unknown; context: ErrorContext }>;

  const client = (options: RedisOptions = {}) => {
    const c = new Redis(redisUrl(), options);
    clients.push(c);
    return c;
  };
  /**
   * A runtime of its own (another "process"), sharing Redis and the prefix. The runtime it
   * replaces stands for a process that lives on or died: its queue is detached first, so the
   * replacement does not flush it (configureCache would), and closed only after the test.
   */
  const runtimeOn = (c: Redis) => {
    const previous = runtimes.at(-1);
    if (previous?.writeBehind !== undefined) {
      detached.push(previous.writeBehind);
      previous.writeBehind = undefined;
    }
    const r = configureCache({ store: new RedisStore({ client: c }), prefix, onError: (error, context) => reported.push({ error, context }) });
    runtimes.push(r);
    return r;
  };
  let detached: WriteBehindRegistry[];

  beforeEach(() => {
    clients = [];
    runtimes = [];
    detached = [];
    reported = [];
    prefix = `wb-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    for (const r of runtimes) await r.close().catch(() => undefined);
    for (const registry of detached) await registry.close().catch(() => undefined);
    for (const c of clients) c.disconnect();
  });

  const rows = new Map<string, number>();
  beforeEach(() => rows.clear());

  function repoClass(scheduler: ManualScheduler, claimIdleMs = 1000) {
    class Repo {
      constructor(readonly name: string) {}
      readonly writers: string[] = [];
      @WriteBehind({ durable: true, key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 60_000 }, journal: { claimIdleMs } })
      async save(id: string, v: number) {
        this.writers.push(`${this.name}:${id}=${v}`);
        rows.set(id, v);
      }
    }
    return Repo;
  }

  it('appends the arguments to the stream and delivers them to this consumer before the call resolves; acks and deletes after the write', async () => {
    const redis = client();
    const runtime = runtimeOn(redis);
    const Repo = repoClass(new ManualScheduler());
    const repo = new Repo('A');
    await repo.save('a', 1);
    const stream = `${prefix}#wb:{Repo.save}`;
    const entries = (await redis.xrangeBuffer(stream, '-', '+')) as Array<[Buffer, Buffer[]]>;
    expect(entries.length).toBe(1);
    expect(entries[0]![1][0]!.toString()).toBe('p');
    expect(msgpack.deserialize(entries[0]![1][1]!)).toEqual(['a', 1]);
    const pending = (await redis.xpending(stream, 'cachekit')) as [number, string, string, Array<[string, string]>];
    expect(pending[0]).toBe(1);
    expect(rows.size).toBe(0);

    await runtime.flush();
    expect(rows.get('a')).toBe(1);
    expect(await redis.xlen(stream)).toBe(0);
    expect(((await redis.xpending(stream, 'cachekit')) as [number])[0]).toBe(0);
  });

  it('journals, replays and acknowledges through a client with enableAutoPipelining', async () => {
    const redis = client({ enableAutoPipelining: true });
    const runtime = runtimeOn(redis);
    const Repo = repoClass(new ManualScheduler());
    const repo = new Repo('A');
    await Promise.all([repo.save('a', 1), repo.save('b', 2)]);
    const stream = `${prefix}#wb:{Repo.save}`;
    expect(await redis.xlen(stream)).toBe(2);
    await runtime.flush();
    expect([rows.get('a'), rows.get('b')]).toEqual([1, 2]);
    expect(await redis.xlen(stream)).toBe(0);
    expect(reported).toEqual([]);
  });

  it('journals through the L2 client of a TieredStore, and @Cacheable reads the queued value from the tiers', async () => {
    const redis = client();
    const runtime = configureCache({ store: new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ client: redis }), bus: false }), prefix });
    runtimes.push(runtime);
    const scheduler = new ManualScheduler();
    class Profiles {
      @WriteBehind({ durable: true, namespace: 'profile', key: (id: string) => id, scheduler })
      async save(id: string, name: string) {
        rows.set(id, name.length);
      }

      @Cacheable({ namespace: 'profile', key: (id: string) => id })
      async load(_id: string): Promise<unknown> {
        return 'from the database';
      }
    }
    const p = new Profiles();
    await p.save('u1', 'Ada');
    expect(await redis.xlen(`${prefix}#wb:{profile/Profiles.save}`)).toBe(1); // the explicit namespace names the journal
    expect(await p.load('u1')).toBe('Ada');
    await runtime.flush();
    expect(rows.get('u1')).toBe(3);
    expect(await p.load('u1')).toBe('Ada');
    expect(await redis.xlen(`${prefix}#wb:{Profiles.save}`)).toBe(0);
  });

  it('acknowledges entries superseded by a newer write of the key at once (last wins), keeps every entry with merge', async () => {
    const redis = client();
    const runtime = runtimeOn(redis);
    const scheduler = new ManualScheduler();
    class Counters {
      @WriteBehind({ durable: true, key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async set(id: string, v: number) {
        rows.set(id, v);
      }

      @WriteBehind({ durable: true, key: (id: string) => id, merge: (a: number, b: number) => a + b, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async add(id: string, n: number) {
        rows.set(`sum:${id}`, (rows.get(`sum:${id}`) ?? 0) + n);
      }
    }
    const c = new Counters();
    for (let i = 1; i <= 5; i++) {
      await c.set('x', i);
      await c.add('x', i);
    }
    await sleep(20); // acks are sent on the next turn
    expect(await redis.xlen(`${prefix}#wb:{Counters.set}`)).toBe(1);
    expect(await redis.xlen(`${prefix}#wb:{Counters.add}`)).toBe(5);
    await runtime.flush();
    expect(rows.get('x')).toBe(5);
    expect(rows.get('sum:x')).toBe(15);
    expect(await redis.xlen(`${prefix}#wb:{Counters.set}`)).toBe(0);
    expect(await redis.xlen(`${prefix}#wb:{Counters.add}`)).toBe(0);
  });

  it('rejects the call with a StoreError when the journal append fails, and queues nothing', async () => {
    const redis = client({ enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
    const runtime = runtimeOn(redis);
    const Repo = repoClass(new ManualScheduler());
    const repo = new Repo('A');
    await repo.save('a', 1);
    redis.disconnect();
    const error = await repo.save('b', 2).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(errors.StoreError);
    expect((error as { code: string }).code).toBe('E_STORE');
    expect((error as Error).message).toMatch(/^write-behind journal \(redis\): append 1 entries to 'wb-[0-9a-f]{8}#wb:\{Repo\.save\}' failed: /);
    expect(runtime.writeBehind?.size).toBe(1);
    expect(runtime.writeBehind?.pending(`${prefix}:Repo.save:b`)).toBeUndefined();
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 1 });
    // the queued write still reaches the method; the release of its cache entry and its ack fail
    // and are reported (both retried), never thrown
    await runtime.flush();
    expect(rows.get('a')).toBe(1);
    // journal commands count in the store's breaker: with the connection gone for good, it opens
    expect(reported.map((r) => [(r.error as Error).message, (r.error as { code: string }).code, r.context])).toEqual([
      ['redis: circuit opened after 5 consecutive failures; operations fail fast for 1000 ms, then one probes', 'E_CIRCUIT_OPEN', { operation: 'store:redis' }],
      ["redis: Stream isn't writeable and enableOfflineQueue options is false", 'E_STORE', { operation: 'write', method: 'Repo.save', key: `${prefix}:Repo.save:a`, step: 'write-behind release' }],
      ['write-behind journal: ack of 1 entries failed (kept for a retry)', 'E_STORE', { operation: 'journal-ack', method: 'Repo.save', key: undefined }],
    ]);
  });

  it('after a crash, another process claims the idle entries and replays them with its own instance', async () => {
    const Repo = repoClass(new ManualScheduler(), 1000);
    // process A: queues writes and dies before flushing
    runtimeOn(client());
    const a = new Repo('A');
    await a.save('k1', 1);
    await a.save('k2', 2);
    await a.save('k1', 3);
    // process B starts with the same class
    const runtimeB = runtimeOn(client());
    const b = new Repo('B');
    expect((await recoverWriteBehind(b, runtimeB)).claimed).toBe(0); // A's entries are not idle long enough yet
    await sleep(1100);
    expect((await recoverWriteBehind(b, runtimeB)).claimed).toBe(2);
    expect(runtimeB.writeBehind?.pending(`${prefix}:Repo.save:k1`)).toEqual(expect.objectContaining({ value: 3 }));
    await runtimeB.flush();
    expect(b.writers.sort()).toEqual(['B:k1=3', 'B:k2=2']);
    expect(a.writers).toEqual([]);
    expect([...rows.entries()].sort()).toEqual([
      ['k1', 3],
      ['k2', 2],
    ]);
    const redis = client();
    expect(await redis.xlen(`${prefix}#wb:{Repo.save}`)).toBe(0);
    expect(runtimeB.stats().methods['Repo.save']).toMatchObject({ queued: 2, flushed: 2 });
  });

  it('replays merged writes of a crashed process in stream order (counters add up exactly once)', async () => {
    const scheduler = new ManualScheduler();
    class Views {
      @WriteBehind({ durable: true, key: (id: string) => id, merge: (x: number, y: number) => x + y, scheduler, batch: { size: 100, intervalMs: 60_000 }, journal: { claimIdleMs: 200 } })
      async add(id: string, n: number) {
        rows.set(id, (rows.get(id) ?? 0) + n);
      }
    }
    runtimeOn(client());
    const a = new Views();
    for (const [id, n] of [['p', 1], ['p', 2], ['q', 5], ['p', 4]] as const) await a.add(id, n);
    const runtimeB = runtimeOn(client());
    await sleep(300);
    expect((await recoverWriteBehind(new Views(), runtimeB)).claimed).toBe(4);
    await runtimeB.flush();
    expect([...rows.entries()].sort()).toEqual([
      ['p', 7],
      ['q', 5],
    ]);
  });

  it('compacts the journal of a hot merged key (entries stay bounded while nothing is flushed); the sum replays exactly after a crash', async () => {
    const scheduler = new ManualScheduler();
    class Views {
      @WriteBehind({ durable: true, key: (id: string) => id, merge: (x: number, y: number) => x + y, scheduler, batch: { size: 100, intervalMs: 60_000 }, journal: { claimIdleMs: 200 } })
      async add(id: string, n: number) {
        rows.set(id, (rows.get(id) ?? 0) + n);
      }
    }
    const redis = client();
    runtimeOn(client());
    const a = new Views();
    let calls = 0;
    let longest = 0;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (calls < 2500) {
          calls++;
          await a.add('hot', 1);
          longest = Math.max(longest, await redis.xlen(`${prefix}#wb:{Views.add}`));
        }
      }),
    );
    await sleep(20);
    expect(longest).toBeLessThanOrEqual(1000 + 50);
    expect(await redis.xlen(`${prefix}#wb:{Views.add}`)).toBeLessThan(1000);
    // A dies; B replays the compacted entries and the ones after them
    const runtimeB = runtimeOn(client());
    await sleep(300);
    await recoverWriteBehind(new Views(), runtimeB);
    await runtimeB.flush();
    expect(rows.get('hot')).toBe(2500);
    expect(await redis.xlen(`${prefix}#wb:{Views.add}`)).toBe(0);
  });

  it('does not claim the entries of a live process: its heartbeat keeps them fresh', async () => {
    const schedulerA = new ManualScheduler();
    const Repo = repoClass(schedulerA, 1000);
    const redis = client();
    runtimeOn(client());
    const a = new Repo('A');
    for (let i = 0; i < 3; i++) await a.save(`k${i}`, i);
    await sleep(1100); // A's entries are idle for longer than claimIdleMs...
    await schedulerA.advance(333); // ...until A's heartbeat (every claimIdleMs / 3) refreshes them
    const runtimeB = runtimeOn(client());
    expect((await recoverWriteBehind(new Repo('B'), runtimeB)).claimed).toBe(0);
    const stream = `${prefix}#wb:{Repo.save}`;
    const owners = (await redis.xpending(stream, 'cachekit')) as [number, string, string, Array<[string, string]>];
    expect(owners[0]).toBe(3);
    expect(owners[3].length).toBe(1); // one consumer (A) holds all three
    const consumerA = owners[3][0]![0];
    const names = async () => ((await redis.call('XINFO', 'CONSUMERS', stream, 'cachekit')) as unknown[][]).map((c) => String(c[1])).sort();
    expect(await names()).toEqual([consumerA]);
    // A dies now: once idle, B takes them over, and the dead consumer is removed from the group
    await sleep(1100);
    expect((await recoverWriteBehind(new Repo('B'), runtimeB)).claimed).toBe(3);
    const claimedBy = ((await redis.xpending(stream, 'cachekit')) as [number, string, string, Array<[string, string]>])[3];
    const consumerB = claimedBy[0]![0];
    expect(claimedBy).toEqual([[consumerB, '3']]);
    expect(consumerB).toMatch(new RegExp(`^[^:]+:${process.pid}:[0-9a-f]{8}$`));
    expect(consumerB === consumerA).toBe(false);
    await runtimeB.flush();
    expect([...rows.keys()].sort()).toEqual(['k0', 'k1', 'k2']);
    expect(await names()).toEqual([consumerB]);
  });

  it('adopts entries nobody had delivered when the group was destroyed, before its own', async () => {
    const Repo = repoClass(new ManualScheduler());
    const redis = client();
    runtimeOn(client());
    await new Repo('A').save('k1', 1); // A dies with its entry pending...
    const stream = `${prefix}#wb:{Repo.save}`;
    await redis.xgroup('DESTROY', stream, 'cachekit'); // ...and the group (with A's pending list) is lost
    const runtimeB = runtimeOn(client());
    const b = new Repo('B');
    await b.save('k2', 2);
    // A's adopted entry is replayed (and flushed at once: it is old already) before B's own write
    await runtimeB.flush();
    expect(b.writers).toEqual(['B:k1=1', 'B:k2=2']);
    expect(await redis.xlen(stream)).toBe(0);
  });

  it('a replayed entry older than a write this process already made to the key is acknowledged, not written', async () => {
    const Repo = repoClass(new ManualScheduler(), 1000);
    runtimeOn(client());
    await new Repo('A').save('k', 1); // A dies with k=1 pending
    const runtimeB = runtimeOn(client());
    const b = new Repo('B');
    await b.save('k', 2); // B starts before A's entry is idle, and writes k=2
    await runtimeB.flush();
    await sleep(1100);
    expect((await recoverWriteBehind(b, runtimeB)).claimed).toBe(1);
    await runtimeB.flush();
    expect(b.writers).toEqual(['B:k=2']);
    expect(rows.get('k')).toBe(2);
    expect(await client().xlen(`${prefix}#wb:{Repo.save}`)).toBe(0);
  });
});
