import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryStore, RedisStore, TieredStore, type InvalidationMessage, type StoredEntry } from '../../src/index.js';
import type { RedisReadResult } from '../../src/stores/redis/redis-store.js';
import { runStoreSuite } from './store-suite.js';
import { rawOf, redisUrl } from '../helpers/redis.js';
import { sleep, until } from '../helpers/waiting.js';
import { Gate } from '../helpers/gate.js';

/** A tiered store on the test Redis with a fake L1 clock; resolves once its bus is subscribed. */
async function tiered(options: { channel?: string; l2?: RedisStore; l1Ttl?: number } = {}) {
  let now = 1_000_000;
  const errors: unknown[] = [];
  const store = new TieredStore({
    l1: new MemoryStore({ maxEntries: 10_000, clock: { now: () => now } }),
    l2: options.l2 ?? new RedisStore({ connection: redisUrl() }),
    bus: { channel: options.channel ?? 'cachekit-test:invalidation' },
    l1Ttl: options.l1Ttl,
  });
  store.attach({ onError: (e) => errors.push(e) });
  await until(() => store.l1Active, 'the bus is subscribed');
  return { store, errors, tick: (ms: number) => (now += ms) };
}

runStoreSuite('TieredStore', async () => {
  const { store, errors, tick } = await tiered();
  const raw = new Redis(redisUrl());
  return {
    store,
    errors,
    raw: rawOf(raw),
    advance: async (ms) => {
      tick(ms);
      await sleep(ms);
    },
    close: async () => {
      await store.close();
      await raw.quit();
    },
  };
}, true);

/** A RedisStore whose reads wait for a gate after Redis answered (a slow network, on demand). */
class GatedRedisStore extends RedisStore {
  gate: Promise<void> | undefined;
  /** Called once Redis answered a read that the gate then holds. */
  onAnswered: (() => void) | undefined;
  override async read(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    const result = await super.read(key, versionKeys);
    this.onAnswered?.();
    await this.gate;
    return result;
  }
}

describe('TieredStore: two tiers and the invalidation bus', () => {
  let channel: string;
  let prefix: string;
  const opened: TieredStore[] = [];
  const key = (k: string) => `${prefix}:ns:${k}`;
  const open = async (options: Parameters<typeof tiered>[0] = {}) => {
    const t = await tiered({ channel, ...options });
    opened.push(t.store);
    return t;
  };
  /** Resolves with the next message `store`'s bus applies from another instance. */
  const nextMessage = (store: TieredStore) =>
    new Promise<InvalidationMessage>((resolve) => {
      const off = store.bus!.onInvalidation((m) => {
        off();
        resolve(m);
      });
    });

  beforeEach(() => {
    channel = `cachekit-test:${randomBytes(6).toString('hex')}`;
    prefix = `tb${randomBytes(4).toString('hex')}`;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('answers a repeated read from L1, synchronously, with mirrored counters', async () => {
    const { store } = await open();
    const ns = `${prefix}#n:ns`;
    const [n] = await store.l2.bump([ns]);
    await store.l2.write(key('a'), { v: 'from redis', g: 1, n }, 60_000);
    expect(store.readSync(key('a'), [ns])).toBeUndefined();
    const first = await store.read(key('a'), [ns]);
    expect(first.entry).toStrictEqual({ v: 'from redis', g: 1, n });
    const spy = jest.spyOn(store.l2, 'read');
    expect(store.readSync(key('a'), [ns])).toStrictEqual({ entry: { v: 'from redis', g: 1, n }, versions: [n] });
    expect((await store.read(key('a'), [ns])).entry).toStrictEqual({ v: 'from redis', g: 1, n });
    expect(spy).not.toHaveBeenCalled();
  });

  it("drops another instance's L1 copy when one instance writes, and that instance then reads the new value", async () => {
    const a = await open();
    const b = await open();
    const delivered = nextMessage(b.store);
    await a.store.write(key('p'), { v: 'v1', g: 1 }, 60_000);
    await delivered; // (a read in flight while a message arrives does not fill L1)
    expect((await b.store.read(key('p'), [])).entry).toStrictEqual({ v: 'v1', g: 1 });
    expect(b.store.readSync(key('p'), [])!.entry).toStrictEqual({ v: 'v1', g: 1 });
    const received = nextMessage(b.store);
    await a.store.write(key('p'), { v: 'v2', g: 2 }, 60_000);
    expect(await received).toStrictEqual({ from: a.store.bus!.instanceId, keys: [key('p')] });
    expect(b.store.readSync(key('p'), [])).toBeUndefined();
    expect((await b.store.read(key('p'), [])).entry).toStrictEqual({ v: 'v2', g: 2 });
  });

  it("drops another instance's copy when a conditional write (a write-through's lease) replaces the entry", async () => {
    const a = await open();
    const b = await open();
    let received = nextMessage(b.store);
    await a.store.write(key('wt'), { v: 'v1', g: 1 }, 60_000);
    await received;
    await b.store.read(key('wt'), []);
    expect(b.store.readSync(key('wt'), [])!.entry!.v).toBe('v1');
    received = nextMessage(b.store);
    expect(await a.store.writeIf(key('wt'), { v: 'v2', g: 2 }, 60_000, 1)).toBe(true);
    expect(await received).toStrictEqual({ from: a.store.bus!.instanceId, keys: [key('wt')] });
    expect(b.store.readSync(key('wt'), [])).toBeUndefined();
    expect((await b.store.read(key('wt'), [])).entry).toStrictEqual({ v: 'v2', g: 2 });
    const quiet = jest.spyOn(a.store.bus!, 'publish');
    expect(await a.store.writeIf(key('wt'), { v: 'v3', g: 3 }, 60_000, 1)).toBe(false);
    expect(quiet).not.toHaveBeenCalled(); // nothing changed, nothing announced
  });

  it('spreads tombstones, deletes, version bumps and clears to every instance', async () => {
    const a = await open();
    const b = await open();
    const ns = `${prefix}#n:ns`;
    const [n0] = await a.store.readVersions([ns]);
    let received = nextMessage(b.store);
    await a.store.write(key('x'), { v: 'x', g: 1, n: n0 }, 60_000);
    await received;
    received = nextMessage(b.store);
    await a.store.write(key('y'), { v: 'y', g: 2, n: n0 }, 60_000);
    await received;
    await b.store.read(key('x'), [ns]);
    await b.store.read(key('y'), [ns]);
    expect(b.store.readSync(key('x'), [ns])!.entry!.v).toBe('x');

    received = nextMessage(b.store);
    await a.store.write(key('x'), { g: 3, d: 1 }, 60_000);
    await received;
    expect(b.store.readSync(key('x'), [ns])).toBeUndefined();
    expect((await b.store.read(key('x'), [ns])).entry).toStrictEqual({ g: 3, d: 1 });

    received = nextMessage(b.store);
    await a.store.bump([ns]);
    expect((await received).versions).toEqual([[ns, n0! + 1]]);
    expect(b.store.readSync(key('y'), [ns])).toBeUndefined(); // written under n0: stale under n0 + 1
    expect(await b.store.readVersions([ns])).toEqual([n0! + 1]);
    const n1 = n0! + 1;

    received = nextMessage(b.store);
    await a.store.write(key('z'), { v: 'z', g: 4, n: n1 }, 60_000);
    await received;
    await b.store.read(key('z'), [ns]);
    expect(b.store.readSync(key('z'), [ns])!.entry!.v).toBe('z');
    received = nextMessage(b.store);
    expect(await a.store.delete([key('z')])).toBe(1);
    await received;
    expect(b.store.readSync(key('z'), [ns])).toBeUndefined();

    received = nextMessage(b.store);
    await a.store.write(key('w'), { v: 'w', g: 5, n: n1 }, 60_000);
    await received;
    await b.store.read(key('w'), [ns]);
    expect(b.store.readSync(key('w'), [ns])!.entry!.v).toBe('w');
    received = nextMessage(b.store);
    await a.store.clear();
    expect((await received).clear).toBe(true);
    expect(b.store.readSync(key('w'), [ns])).toBeUndefined();
    expect(b.store.l1.size).toBe(0);
  });

  it('ignores its own messages', async () => {
    const a = await open();
    const seen: InvalidationMessage[] = [];
    a.store.bus!.onInvalidation((m) => seen.push(m));
    await a.store.write(key('own'), { v: 1, g: 1 }, 60_000);
    await a.store.bump([`${prefix}#t:t`]);
    await sleep(50);
    expect(seen).toEqual([]);
    expect(a.store.readSync(key('own'), [])!.entry).toStrictEqual({ v: 1, g: 1 });
  });

  it('does not let an L2 answer that was in flight during an invalidation fill L1 with the old value', async () => {
    const a = await open();
    const gated = new GatedRedisStore({ connection: redisUrl() });
    const b = await open({ l2: gated });
    await a.store.write(key('r'), { v: 'old', g: 1 }, 60_000);
    let openGate!: () => void;
    gated.gate = new Promise<void>((resolve) => (openGate = resolve));
    const slowRead = b.store.read(key('r'), []); // Redis answers 'old'; the answer is held back
    await sleep(20);
    const received = nextMessage(b.store);
    await a.store.write(key('r'), { v: 'new', g: 2 }, 60_000);
    await received;
    openGate();
    expect((await slowRead).entry).toStrictEqual({ v: 'old', g: 1 }); // it started before the write
    gated.gate = undefined;
    expect(b.store.readSync(key('r'), [])).toBeUndefined(); // and did not fill L1
    expect((await b.store.read(key('r'), [])).entry).toStrictEqual({ v: 'new', g: 2 });
    expect(b.store.readSync(key('r'), [])!.entry).toStrictEqual({ v: 'new', g: 2 });
  });

  it.each([
    ['a conditional write (write-through under its lease)', 'writeIf'],
    ['an unconditional write', 'write'],
    ['a tombstone', 'tombstone'],
  ] as const)('does not let its own L2 read, answered before %s resolved, fill L1 with the entry it replaced', async (_name, how) => {
    const gated = new GatedRedisStore({ connection: redisUrl() });
    const { store } = await open({ l2: gated });
    await gated.write(key('own'), { v: 'old', g: 1 }, 60_000);
    const gate = new Gate();
    gated.gate = gate.opened;
    const answered = new Promise<void>((resolve) => (gated.onAnswered = resolve));
    const slowRead = store.read(key('own'), []); // Redis answers 'old'; the answer is held back
    await answered;
    gated.onAnswered = undefined;
    gated.gate = undefined;
    const next: StoredEntry = how === 'tombstone' ? { g: 2, d: 1 } : { v: 'new', g: 2 };
    if (how === 'writeIf') expect(await store.writeIf(key('own'), next, 60_000, 1)).toBe(true);
    else await store.write(key('own'), next, 60_000);
    gate.open();
    expect((await slowRead).entry).toStrictEqual({ v: 'old', g: 1 }); // it started before the write
    // L1 holds the new entry (or nothing, after a tombstone), never the old one
    expect(store.readSync(key('own'), [])?.entry).toStrictEqual(how === 'tombstone' ? undefined : next);
    expect((await store.read(key('own'), [])).entry).toStrictEqual(next);
  });

  it('does not let an L2 read that began while its own write was on the way, and read the older entry, fill L1 after the write resolved', async () => {
    /** Holds its next write before sending it, and its next read after Redis answered. */
    class SlowRedisStore extends RedisStore {
      writeGate: Promise<void> | undefined;
      readGate: Promise<void> | undefined;
      onAnswered: (() => void) | undefined;
      override async writeChecked(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
        const gate = this.writeGate;
        this.writeGate = undefined;
        await gate;
        return super.writeChecked(key, entry, ttlMs);
      }
      override async read(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
        const result = await super.read(key, versionKeys);
        const gate = this.readGate;
        this.readGate = undefined;
        this.onAnswered?.();
        await gate;
        return result;
      }
    }
    const l2 = new SlowRedisStore({ connection: redisUrl() });
    const { store } = await open({ l2 });
    await l2.write(key('mid'), { v: 'old', g: 1 }, 60_000); // in Redis only: L1 has no copy
    const writeGate = new Gate();
    const readGate = new Gate();
    l2.writeGate = writeGate.opened;
    const write = store.write(key('mid'), { v: 'new', g: 2 }, 60_000); // begun, not sent yet
    l2.readGate = readGate.opened;
    const answered = new Promise<void>((resolve) => (l2.onAnswered = resolve));
    const read = store.read(key('mid'), []); // begins after the write did; Redis answers 'old'
    await answered;
    writeGate.open();
    await write;
    expect(store.readSync(key('mid'), [])?.entry).toStrictEqual({ v: 'new', g: 2 });
    readGate.open();
    expect((await read).entry).toStrictEqual({ v: 'old', g: 1 }); // it began before the write resolved
    expect(store.readSync(key('mid'), [])?.entry).toStrictEqual({ v: 'new', g: 2 }); // L1 kept the new entry
  });

  it('never keeps an L1 copy longer than l1Ttl, nor longer than the entry lives in Redis', async () => {
    const { store, tick } = await open({ l1Ttl: 1_000 });
    await store.write(key('a'), { v: 'a', g: 1 }, 60_000);
    expect(store.readSync(key('a'), [])!.entry!.v).toBe('a');
    tick(1_001);
    expect(store.readSync(key('a'), [])).toBeUndefined();
    expect((await store.read(key('a'), [])).entry!.v).toBe('a'); // L2 still has it
    await store.write(key('b'), { v: 'b', g: 2 }, 200);
    tick(201);
    expect(store.readSync(key('b'), [])).toBeUndefined();
  });

  it('bypasses L1 while the bus connection is down (its copies kept only for readLocal), and empties it when the bus is back', async () => {
    const a = await open();
    const b = await open();
    const delivered = nextMessage(b.store);
    await a.store.write(key('k'), { v: 'v1', g: 1 }, 60_000);
    await delivered;
    await b.store.read(key('k'), []);
    expect(b.store.readSync(key('k'), [])!.entry!.v).toBe('v1');
    const admin = new Redis(redisUrl());
    try {
      // Kill b's subscriber connection, found by its local address.
      const subscriber = (b.store.bus as unknown as { subscriber: { stream: { localPort: number } } }).subscriber;
      expect(await admin.client('KILL', 'ADDR', `127.0.0.1:${subscriber.stream.localPort}`)).toBe(1);
      await until(() => !b.store.l1Active, 'b notices its bus is down');
      expect(b.store.readSync(key('k'), [])).toBeUndefined();
      expect(b.store.readLocal(key('k'))!.v).toBe('v1'); // the fail-safe copy, never a hit
      expect((await b.store.read(key('k'), [])).entry!.v).toBe('v1');
      await until(() => b.store.l1Active, 'b is subscribed again');
      expect(b.store.readSync(key('k'), [])).toBeUndefined(); // L1 started empty
      expect(b.store.readLocal(key('k'))).toBeUndefined();
      const received = nextMessage(b.store);
      await a.store.write(key('k'), { v: 'v2', g: 2 }, 60_000);
      await received; // the bus delivers again
      expect((await b.store.read(key('k'), [])).entry!.v).toBe('v2');
    } finally {
      await admin.quit();
    }
  });

  it("publishes again a message Redis did not take (the writer's connection killed at publish time): the other instance drops its copy once it is back", async () => {
    /** A RedisStore whose connection is killed right after its next write went through, before the bus message. */
    class KilledAfterWrite extends RedisStore {
      killNext = false;
      override async writeChecked(key: string, entry: StoredEntry, ttlMs: number): Promise<boolean> {
        const stored = await super.writeChecked(key, entry, ttlMs);
        if (this.killNext) {
          this.killNext = false;
          const admin = new Redis(redisUrl());
          const port = (this.client as unknown as { stream: { localPort: number } }).stream.localPort;
          await admin.client('KILL', 'ADDR', `127.0.0.1:${port}`);
          await admin.quit();
          await until(() => this.client.status !== 'ready', 'the writer sees its connection gone', 5_000, 1);
        }
        return stored;
      }
    }
    const l2 = new KilledAfterWrite({ connection: redisUrl(), trackVersions: false });
    const a = await open({ l2 });
    const b = await open();
    let received = nextMessage(b.store);
    await a.store.write(key('p'), { v: 'v1', g: 1 }, 60_000);
    await received;
    expect((await b.store.read(key('p'), [])).entry).toStrictEqual({ v: 'v1', g: 1 });
    expect(b.store.readSync(key('p'), [])?.entry).toStrictEqual({ v: 'v1', g: 1 }); // b's L1 copy
    received = nextMessage(b.store);
    l2.killNext = true;
    await a.store.write(key('p'), { v: 'v2', g: 2 }, 60_000); // resolves: Redis has v2, the message is not out
    expect(b.store.readSync(key('p'), [])?.entry).toStrictEqual({ v: 'v1', g: 1 }); // stale until the retry
    await until(() => b.store.readSync(key('p'), []) === undefined, "b drops its copy once a's retry got through", 10_000, 5);
    expect(await received).toStrictEqual({ from: a.store.bus!.instanceId, keys: [key('p')] }); // a reconnected and published
    expect(a.store.bus!.unsentMessages).toBe(0);
    expect(a.errors).toHaveLength(1); // the failed publish, reported once
    expect((await b.store.read(key('p'), [])).entry).toStrictEqual({ v: 'v2', g: 2 });
  });

  it('works as a single instance with bus: false, and exposes the L2 client', async () => {
    const l2 = new RedisStore({ connection: redisUrl() });
    const store = new TieredStore({ l1: new MemoryStore(), l2, bus: false });
    opened.push(store);
    expect(store.bus).toBeUndefined();
    expect(store.client).toBe(l2.client);
    await store.write(key('solo'), { v: 'solo', g: 1 }, 60_000);
    expect(store.readSync(key('solo'), [])!.entry).toStrictEqual({ v: 'solo', g: 1 });
  });

  it('rejects bad options with a TypeError naming the option', () => {
    const l2 = new RedisStore({ connection: redisUrl() });
    try {
      expect(() => new TieredStore({ l1: {} as MemoryStore, l2 })).toThrow(/l1 must be a MemoryStore/);
      expect(() => new TieredStore({ l1: new MemoryStore(), l2: new MemoryStore() as unknown as RedisStore })).toThrow(/l2 must be a RedisStore/);
      expect(() => new TieredStore({ l1: new MemoryStore(), l2, l1Ttl: 'soon' as never })).toThrow(/l1Ttl.*'soon'/);
      expect(() => new TieredStore({ l1: new MemoryStore(), l2, bus: { chanel: 'x' } as never })).toThrow("TieredStore: unknown option 'bus.chanel' (known: bus.channel)");
      expect(() => new TieredStore({ l1: new MemoryStore(), l2, extra: 1 } as never)).toThrow(/unknown option 'extra'/);
    } finally {
      void l2.close();
    }
  });

  it('keeps its L1 copy of a local write, and drops L1 when the L2 write fails', async () => {
    const { store } = await open();
    const entry: StoredEntry = { v: 'kept', g: 1 };
    await store.write(key('lw'), entry, 60_000);
    // readSync answers from L1 only: an equal entry (MemoryStore rebuilds a plain { v, g } on each read)
    expect(store.readSync(key('lw'), [])!.entry).toStrictEqual(entry);
    const failing = jest.spyOn(store.l2, 'writeChecked').mockRejectedValueOnce(new Error('redis write failed'));
    await expect(store.write(key('lw'), { v: 'lost', g: 2 }, 60_000)).rejects.toThrow('redis write failed');
    failing.mockRestore();
    expect(store.readSync(key('lw'), [])).toBeUndefined();
    expect((await store.read(key('lw'), [])).entry).toStrictEqual({ v: 'kept', g: 1 });
  });
});
