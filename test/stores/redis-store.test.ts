import { randomBytes } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { Cacheable, configureCache, errors, JsonSerializer, MsgpackSerializer, RedisStore } from '../../src/index.js';
import { runStoreSuite } from './store-suite.js';
import { rawOf, redisUrl } from '../helpers/redis.js';
import { sleep, until } from '../helpers/waiting.js';

runStoreSuite('RedisStore', async () => {
  const errors: unknown[] = [];
  const store = new RedisStore({ connection: redisUrl() });
  store.attach({ onError: (e) => errors.push(e) });
  const raw = new Redis(redisUrl());
  return {
    store,
    errors,
    raw: rawOf(raw),
    advance: (ms) => sleep(ms),
    close: async () => {
      await store.close();
      await raw.quit();
    },
  };
}, true);

/** A TCP server that accepts connections and never answers (a hung Redis). */
async function blackHole(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Commands the client sends while `run` runs, as [name, ...args as strings]. */
async function commandsOf(client: Redis, run: () => Promise<unknown>): Promise<string[][]> {
  const spy = jest.spyOn(client, 'sendCommand');
  try {
    await run();
    return spy.mock.calls.map(([command]) => {
      const { name, args } = command as unknown as { name: string; args: unknown[] };
      return [name, ...args.map((a) => (Buffer.isBuffer(a) ? '<bytes>' : String(a)))];
    });
  } finally {
    spy.mockRestore();
  }
}

describe('RedisStore on one Redis', () => {
  let client: Redis;
  let store: RedisStore;
  let prefix: string;
  const key = (k: string) => `${prefix}:ns:${k}`;

  beforeEach(async () => {
    prefix = `rs${randomBytes(4).toString('hex')}`;
    client = new Redis(redisUrl());
    // Commands are counted on the client: version tracking (whose reads go on a connection of
    // its own) has its own tests in version-mirror.test.ts.
    store = new RedisStore({ client, trackVersions: false });
    await client.ping();
  });

  afterEach(async () => {
    await store.close();
    await client.quit();
  });

  it('hands each lone hit a value of its own, decoded from the bytes Redis returned this time', async () => {
    for (const trackVersions of [false, true]) {
      const reader = new RedisStore({ client, trackVersions, name: `own-${trackVersions}` });
      const writer = new RedisStore({ client, trackVersions: false, name: 'writer' });
      try {
        const k = key(`own-${trackVersions}`);
        const versions = [`${prefix}#n:ns`];
        await writer.write(k, { v: { n: 1, list: [1] }, g: 1, n: 0 }, 60_000);
        const first = (await reader.read(k, versions)).entry!.v as { n: number; list: number[] };
        // the same bytes again: decoded again, into an object of its own
        const second = (await reader.read(k, versions)).entry!.v as { n: number; list: number[] };
        expect(second).toEqual({ n: 1, list: [1] });
        expect(second).not.toBe(first);
        second.list.push(2);
        expect((await reader.read(k, versions)).entry!.v).toEqual({ n: 1, list: [1] });
        // another instance replaces the entry: the next read returns the new one
        await writer.write(k, { v: { n: 2, list: [] }, g: 2, n: 0 }, 60_000);
        expect((await reader.read(k, versions)).entry).toEqual({ v: { n: 2, list: [] }, g: 2, n: 0 });
        await writer.delete([k]);
        expect((await reader.read(k, versions)).entry).toBeUndefined();
      } finally {
        await reader.close();
        await writer.close();
      }
    }
  });

  it('keeps ioredis command tracing (diagnostics_channel) working for a lone read: its trace ends with the read', async () => {
    const k = key('traced');
    await store.write(k, { v: 'traced', g: 1, n: 0 }, 60_000);
    const channel = tracingChannel<unknown, { command?: string; result?: unknown }>('ioredis:command');
    const ended: Array<[string | undefined, unknown]> = []; // traced commands that ended, with their result
    const record = (context: { command?: string; result?: unknown }) => void ended.push([context.command, context.result]);
    const handlers = { start: () => undefined, end: () => undefined, asyncStart: () => undefined, asyncEnd: record, error: () => undefined };
    channel.subscribe(handlers);
    try {
      const read = await store.read(k, []);
      expect(read.entry).toEqual({ v: 'traced', g: 1, n: 0 });
      // (Jest's promises are another realm's: the trace's end comes a few turns after the read)
      await until(() => ended.length > 0, 'the traced command ended');
      expect(ended).toHaveLength(1);
      expect(ended[0]![0]).toBe('get');
      expect(ended[0]![1]).toBe(read); // the read's promise stands in for ioredis's own
    } finally {
      channel.unsubscribe(handlers);
    }
  });

  it('reads an entry and its counters with one MGET', async () => {
    await store.write(key('a'), { v: 'a', g: 1, n: 0 }, 60_000);
    await client.set(`${prefix}#n:ns`, '3');
    await client.set(`${prefix}#t:x`, '5');
    const sent = await commandsOf(client, () => store.read(key('a'), [`${prefix}#n:ns`, `${prefix}#t:x`]));
    expect(sent).toEqual([['mget', key('a'), `${prefix}#n:ns`, `${prefix}#t:x`]]);
    expect(await commandsOf(client, () => store.read(key('a'), []))).toEqual([['get', key('a')]]);
  });

  it('sends a burst of concurrent reads as one MGET, each read getting its own answer', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => key(`b${i}`));
    await Promise.all(keys.map((k, i) => store.write(k, { v: i, g: i + 1 }, 60_000)));
    await client.hset(key('hash'), 'f', 'v'); // not a string: MGET answers nil for it
    await client.set(`${prefix}#n:ns`, '1');
    const pipeline = jest.spyOn(client, 'pipeline');
    const sent = await commandsOf(client, async () => {
      const results = await Promise.all([...keys.map((k) => store.read(k, [`${prefix}#n:ns`])), store.read(key('hash'), [])]);
      expect(results.slice(0, 100).map((r) => r.entry)).toEqual(keys.map((_, i) => ({ v: i, g: i + 1 })));
      expect(results[100]!.entry).toBeUndefined();
    });
    // the first read goes out at once; the 100 issued while it is in flight share one MGET
    // (99 entries, their shared counter once, and the hash's lone key: 101 keys)
    expect(sent.map((c) => [c[0], c.length - 1])).toEqual([
      ['mget', 2],
      ['mget', 101],
    ]);
    expect(pipeline).not.toHaveBeenCalled();
    expect(store.circuit).toBe('closed');
    await store.read(keys[0]!, []);
    await store.read(keys[1]!, []);
    expect(pipeline).not.toHaveBeenCalled(); // sequential reads go out one by one, at once
  });

  it('sends a burst mixing reads and writes as its writes, then its reads (a read sees the writes of its turn)', async () => {
    await store.write(key('m0'), { v: 0, g: 1 }, 60_000);
    const sent = await commandsOf(client, async () => {
      const [, , m1, m0] = await Promise.all([
        store.read(key('m0'), []), // nothing in flight: goes out at once
        store.write(key('m1'), { v: 1, g: 2 }, 60_000),
        store.read(key('m1'), []),
        store.read(key('m0'), []),
      ]);
      expect(m1.entry).toEqual({ v: 1, g: 2 });
      expect(m0.entry).toEqual({ v: 0, g: 1 });
    });
    expect(sent.map((c) => c[0])).toEqual(['get', 'set', 'mget']);
    const many = await commandsOf(client, () =>
      Promise.all([store.read(key('m0'), []), store.write(key('m2'), { v: 2, g: 3 }, 0), store.write(key('m3'), { v: 3, g: 4 }, 5_000)]),
    );
    // one script for both writes (plus an EVAL if the server did not know the script yet)
    expect(many.map((c) => c[0]).filter((name) => name !== 'eval')).toEqual(['get', 'evalsha']);
    expect((await store.read(key('m2'), [])).entry).toEqual({ v: 2, g: 3 });
    expect((await store.read(key('m3'), [])).entry).toEqual({ v: 3, g: 4 });
    expect(await client.pttl(key('m2'))).toBe(-1);
    expect(await client.pttl(key('m3'))).toBeGreaterThan(0);
  });

  it('sends each key of a burst of reads once (reads share their namespace version)', async () => {
    const v = `${prefix}#n:burst`;
    await client.set(v, '4');
    await store.write(key('b1'), { v: 1, g: 1, n: 4 }, 60_000);
    await store.write(key('b2'), { v: 2, g: 2, n: 4 }, 60_000);
    let reads: Array<{ entry: unknown; versions: readonly number[] }> = [];
    const sent = await commandsOf(client, async () => {
      reads = await Promise.all([
        store.read(key('b1'), [v]), // nothing in flight: goes out at once
        store.read(key('b2'), [v]),
        store.read(key('b3'), [v]),
        store.read(key('b2'), [v]),
      ]);
    });
    expect(sent).toEqual([
      ['mget', key('b1'), v],
      ['mget', key('b2'), v, key('b3')],
    ]);
    expect(reads.map((r) => r.versions)).toEqual([[4], [4], [4], [4]]);
    expect(reads.map((r) => r.entry)).toEqual([{ v: 1, g: 1, n: 4 }, { v: 2, g: 2, n: 4 }, undefined, { v: 2, g: 2, n: 4 }]);
  });

  it('shares one read between identical version reads of one burst', async () => {
    const v = `${prefix}#n:shared`;
    await client.set(v, '6');
    const first = store.read(key('s1'), [v]); // nothing in flight: goes out at once
    const a = store.readVersions([v]);
    const b = store.readVersions([v]);
    const other = store.readVersions([`${prefix}#n:other`]);
    expect(b).toBe(a);
    expect(other).not.toBe(a);
    const [ra, rb, [started]] = await Promise.all([a, b, other]);
    expect([ra, rb]).toEqual([[6], [6]]);
    expect(started! >= 2 ** 51 && started! < 2 ** 52).toBe(true); // a counter never bumped starts at a random base
    await first;
    // a later burst reads the counter again
    const next = store.read(key('s1'), [v]);
    const c = store.readVersions([v]);
    expect(c).not.toBe(a);
    expect(await c).toEqual([6]);
    await next;
  });

  it('writes value and TTL in one SET ... PX (no PX for TTL 0)', async () => {
    expect(await commandsOf(client, () => store.write(key('a'), { v: 1, g: 1 }, 1500))).toEqual([['set', key('a'), '<bytes>', 'PX', '1500']]);
    expect(await commandsOf(client, () => store.write(key('a'), { v: 1, g: 1 }, 0))).toEqual([['set', key('a'), '<bytes>']]);
    expect(await commandsOf(client, () => store.write(key('a'), { v: 1, g: 1 }, 0.4))).toEqual([['set', key('a'), '<bytes>', 'PX', '1']]);
  });

  it('compares generations with EVALSHA, and loads the script again after SCRIPT FLUSH', async () => {
    await store.writeIf(key('l'), { v: 0, g: 1 }, 60_000, undefined);
    const sent = await commandsOf(client, () => store.writeIf(key('l'), { v: 1, g: 2 }, 60_000, 1));
    expect(sent.map((c) => c[0])).toEqual(['evalsha']);
    await client.script('FLUSH');
    const again = await commandsOf(client, async () => expect(await store.writeIf(key('l'), { v: 2, g: 3 }, 60_000, 2)).toBe(true));
    expect(again.map((c) => c[0])).toEqual(['evalsha', 'eval']);
    expect((await store.read(key('l'), [])).entry).toStrictEqual({ v: 2, g: 3 });
  });

  it('bumps several counters with one script (a missing one starts at a random base, an existing one counts on)', async () => {
    await client.set(`${prefix}#t:b`, '41');
    const keys = [`${prefix}#n:a`, `${prefix}#t:b`, `${prefix}#t:c`];
    let values: number[] = [];
    const sent = await commandsOf(client, async () => {
      values = await store.bump(keys);
    });
    expect(sent.map((c) => c[0]).filter((name) => name !== 'eval')).toEqual(['evalsha']);
    expect(sent[0]!.slice(2, 6)).toEqual(['3', ...keys]);
    expect(values[1]).toBe(42);
    for (const v of [values[0]!, values[2]!]) expect(v > 2 ** 51 && v <= 2 ** 52).toBe(true);
    expect(values[0]).not.toBe(values[2]);
    expect(await client.mget(...keys)).toEqual(values.map(String));
  });

  it('clears with SCAN and UNLINK over many pages, only under its scope, never KEYS or FLUSHDB', async () => {
    const scoped = new RedisStore({ client, scope: prefix });
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 2500; i++) writes.push(client.set(`${prefix}:ns:${i}`, 'x'));
    writes.push(client.set(`${prefix}#n:ns`, '3'), client.set(`${prefix}#t:t`, '1'), client.set(`${prefix}:ns:lock#lock`, 'tok'));
    writes.push(client.set(`${prefix}#wb:journal`, 'not ours'), client.set(`${prefix}x:ns:1`, 'not ours'), client.set(`x${prefix}:ns:1`, 'not ours'));
    await Promise.all(writes);
    const sent = await commandsOf(client, () => scoped.clear());
    const names = new Set(sent.map((c) => c[0]));
    expect([...names].sort()).toEqual(['scan', 'unlink']);
    expect(sent.filter((c) => c[0] === 'scan').length).toBeGreaterThan(3);
    expect(await client.exists(`${prefix}:ns:0`, `${prefix}:ns:2499`, `${prefix}#n:ns`, `${prefix}#t:t`, `${prefix}:ns:lock#lock`)).toBe(0);
    expect(await client.mget(`${prefix}#wb:journal`, `${prefix}x:ns:1`, `x${prefix}:ns:1`)).toEqual(['not ours', 'not ours', 'not ours']);
    await client.del(`${prefix}#wb:journal`, `${prefix}x:ns:1`, `x${prefix}:ns:1`);
  });

  it('learns the prefixes it writes under and clears only those', async () => {
    const other = `${prefix}o`;
    await client.set(`${other}:ns:a`, 'foreign');
    await store.write(key('a'), { v: 1, g: 1 }, 0);
    await store.bump([`${prefix}#t:x`]);
    await store.clear();
    expect(await client.exists(key('a'), `${prefix}#t:x`)).toBe(0);
    expect(await client.get(`${other}:ns:a`)).toBe('foreign');
    await client.del(`${other}:ns:a`);
  });

  it("clears under the prefix of the runtime it is attached to, even before writing anything", async () => {
    await client.set(`${prefix}:ns:a`, 'written by another process');
    await client.set(`${prefix}#n:ns`, '4');
    await client.set(`${prefix}o:ns:a`, 'foreign');
    store.attach({ prefix });
    await store.clear();
    expect(await client.exists(`${prefix}:ns:a`, `${prefix}#n:ns`)).toBe(0);
    expect(await client.get(`${prefix}o:ns:a`)).toBe('foreign');
    await client.del(`${prefix}o:ns:a`);
  });

  it('escapes the scope for SCAN MATCH and the key builder', async () => {
    const scope = `we*rd:[${prefix}]`;
    const scoped = new RedisStore({ client, scope });
    const escaped = `we*rd%3A[${prefix}]`;
    await client.set(`${escaped}:ns:a`, '1');
    await client.set(`weird%3A[${prefix}]:ns:a`, 'not ours');
    await scoped.clear();
    expect(await client.exists(`${escaped}:ns:a`)).toBe(0);
    expect(await client.get(`weird%3A[${prefix}]:ns:a`)).toBe('not ours');
    await client.del(`weird%3A[${prefix}]:ns:a`);
  });

  it('works on a client with an ioredis keyPrefix, and clears under it', async () => {
    const prefixed = new Redis(redisUrl(), { keyPrefix: `${prefix}app:` });
    const inner = new RedisStore({ client: prefixed, scope: 'shop' });
    try {
      await inner.write('shop:ns:a', { v: 'a', g: 1 }, 0);
      await inner.bump(['shop#n:ns']);
      expect((await inner.read('shop:ns:a', ['shop#n:ns'])).entry).toStrictEqual({ v: 'a', g: 1 });
      expect(await inner.writeIf('shop:ns:a', { v: 'b', g: 2 }, 0, 1)).toBe(true);
      expect(await client.exists(`${prefix}app:shop:ns:a`)).toBe(1);
      // a burst: the four writes leave together as one script
      const burst = await commandsOf(prefixed, () => Promise.all(['w', 'x', 'y', 'z'].map((k, i) => inner.write(`shop:ns:${k}`, { v: k, g: 10 + i }, 60_000))));
      // eval: loading the script; none at all when the burst went on the version-tracking connection (once it is up)
      const sent = burst.map((c) => c[0]).filter((name) => name !== 'eval');
      expect(['', 'evalsha']).toContain(sent.join(','));
      expect(await client.exists(...['w', 'x', 'y', 'z'].map((k) => `${prefix}app:shop:ns:${k}`))).toBe(4);
      expect((await inner.read('shop:ns:y', [])).entry).toStrictEqual({ v: 'y', g: 12 });
      await client.set(`${prefix}app:other:ns:a`, 'keep');
      await inner.clear();
      expect(await client.exists(`${prefix}app:shop:ns:a`, `${prefix}app:shop#n:ns`)).toBe(0);
      expect(await client.get(`${prefix}app:other:ns:a`)).toBe('keep');
      await client.del(`${prefix}app:other:ns:a`);
    } finally {
      await inner.close();
      await prefixed.quit();
    }
  });

  it("uses the runtime's serializer unless given its own", async () => {
    await store.write(key('j'), { v: { a: 1 }, g: 1 }, 0);
    expect((await client.getBuffer(key('j')))!.subarray(11).toString()).not.toBe('{"a":1}');
    store.attach({ serializer: new JsonSerializer() });
    await store.write(key('j'), { v: { a: 1 }, g: 1 }, 0);
    expect((await client.getBuffer(key('j')))!.subarray(11).toString()).toBe('{"a":1}');
    expect((await store.read(key('j'), [])).entry).toStrictEqual({ v: { a: 1 }, g: 1 });
    const own = new RedisStore({ client, serializer: new MsgpackSerializer() });
    own.attach({ serializer: new JsonSerializer() });
    await own.write(key('m'), { v: { a: 1 }, g: 1 }, 0);
    expect((await client.getBuffer(key('m')))!.subarray(11).toString()).not.toBe('{"a":1}');
    expect((await own.read(key('m'), [])).entry).toStrictEqual({ v: { a: 1 }, g: 1 });
  });

  it('leaves a client passed in open, closes a connection it opened, and refuses work once closed', async () => {
    await store.close();
    expect(client.status).toBe('ready');
    await expect(store.read(key('a'), [])).rejects.toBeInstanceOf(errors.StoreError);
    const owned = new RedisStore({ connection: redisUrl() });
    await owned.write(key('o'), { v: 1, g: 1 }, 0);
    await owned.close();
    expect(owned.client.status).toBe('end');
    await expect(owned.read(key('o'), [])).rejects.toThrow('the store is closed');
  });

  it('rejects bad options with a TypeError naming the option and quoting the value', () => {
    expect(() => new RedisStore({ client, connection: redisUrl() })).toThrow(/either client .* or connection/);
    expect(() => new RedisStore({ client: {} as Redis })).toThrow(/client must be an ioredis Redis or Cluster/);
    expect(() => new RedisStore({ connection: 42 as never })).toThrow(/connection must be .*42 \(number\)/);
    expect(() => new RedisStore({ client, timeoutMs: 0 })).toThrow(/timeoutMs must be .*0 \(number\)/);
    expect(() => new RedisStore({ client, timeoutMs: '1s' as never })).toThrow(/timeoutMs must be .*'1s'/);
    expect(() => new RedisStore({ client, scope: '' })).toThrow(/scope must be a non-empty string/);
    expect(() => new RedisStore({ client, serializer: {} as never })).toThrow(/serializer must have serialize/);
    expect(() => new RedisStore({ client, breaker: { failureThreshold: 0 } })).toThrow(/failureThreshold.*0 \(number\)/);
    expect(() => new RedisStore({ client, breaker: 'on' as never })).toThrow(/breaker must be an object or false/);
    expect(() => new RedisStore({ client, prefix: 'x' } as never)).toThrow(/unknown option 'prefix'/);
  });

  it('serves @Cacheable calls across two runtimes sharing Redis, with no runtime timeout wrapper', async () => {
    let calls = 0;
    class Catalog {
      @Cacheable({ namespace: 'catalog', key: (id: string) => id })
      async get(id: string) {
        calls++;
        return id === 'zero' ? 0 : { id, at: new Date(0), tags: new Set(['a']) };
      }
    }
    const catalog = new Catalog();
    const runtime = configureCache({ store, prefix });
    expect(runtime.store()).toBe(store);
    expect(await catalog.get('1')).toStrictEqual({ id: '1', at: new Date(0), tags: new Set(['a']) });
    expect(await catalog.get('zero')).toBe(0);
    const second = new RedisStore({ connection: redisUrl() });
    configureCache({ store: second, prefix });
    expect(await catalog.get('1')).toStrictEqual({ id: '1', at: new Date(0), tags: new Set(['a']) });
    expect(await catalog.get('zero')).toBe(0);
    expect(calls).toBe(2);
    await second.close();
    configureCache();
  });
});

describe('RedisStore when Redis does not answer', () => {
  it('times out each operation, opens the breaker after repeated failures, fails fast, and never queues commands', async () => {
    const hole = await blackHole();
    const reported: unknown[] = [];
    const states: string[] = [];
    const store = new RedisStore({
      connection: { port: hole.port, host: '127.0.0.1' },
      timeoutMs: 100,
      breaker: { failureThreshold: 3, cooldownMs: 60_000, onStateChange: (s) => states.push(s) },
    });
    store.attach({ onError: (e) => reported.push(e) });
    try {
      for (let i = 0; i < 3; i++) await expect(store.read('k', ['v'])).rejects.toBeInstanceOf(errors.StoreTimeoutError);
      expect(store.circuit).toBe('open');
      expect(states).toEqual(['open']);
      expect(reported.filter((e) => e instanceof errors.CircuitOpenError)).toHaveLength(1);
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => store.write('k', { v: 1, g: 1 }, 1000)));
      expect(results.every((r) => r.status === 'rejected' && r.reason instanceof errors.CircuitOpenError)).toBe(true);
      expect(store.pendingOperations).toBe(0);
      expect((store.client as unknown as { offlineQueue: { length: number } }).offlineQueue.length).toBe(0);
    } finally {
      await store.close();
      await hole.close();
    }
  });

  it('fails at once while the connection is down (nothing listens), then probes after the cooldown', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    let now = 0;
    const store = new RedisStore({
      connection: { port, host: '127.0.0.1', retryStrategy: () => 50 },
      timeoutMs: 200,
      breaker: { failureThreshold: 2, cooldownMs: 1000, clock: { now: () => now } },
    });
    store.attach({ onError: () => undefined });
    try {
      await until(() => store.client.status === 'reconnecting', 'the first connection attempt failed');
      const started = Date.now();
      await expect(store.read('k', [])).rejects.toThrow(/not connected to Redis/);
      await expect(store.read('k', [])).rejects.toThrow(/not connected to Redis/);
      expect(Date.now() - started < 200).toBe(true); // failed without waiting for a timeout
      expect(store.circuit).toBe('open');
      await expect(store.read('k', [])).rejects.toBeInstanceOf(errors.CircuitOpenError);
      now += 1000;
      await expect(store.read('k', [])).rejects.toBeInstanceOf(errors.StoreError); // the probe, still failing
      expect(store.circuit).toBe('open');
    } finally {
      await store.close();
    }
  });
});
