import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/index.js';
import { redisUrl } from '../helpers/redis.js';
import { sleep, until } from '../helpers/waiting.js';
import { MIRROR_MAX_AGE_MS } from '../../src/stores/redis/version-mirror.js';

/**
 * The commands sent while `run` runs, each as `<connection>:<name>`: `mirror` for a version
 * mirror's connection (named `cachekit-versions:...`), `client` for any other.
 */
async function commandsSent(run: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const original = Redis.prototype.sendCommand;
  const spy = jest.spyOn(Redis.prototype, 'sendCommand').mockImplementation(function (this: Redis, command, stream) {
    const where = String(this.options.connectionName ?? '').startsWith('cachekit-versions:') ? 'mirror' : 'client';
    sent.push(`${where}:${(command as unknown as { name: string }).name}`);
    return original.call(this, command, stream);
  });
  try {
    await run();
    return sent;
  } finally {
    spy.mockRestore();
  }
}

/** Ids of the connections named `name` on the server. */
async function connectionsNamed(raw: Redis, name: string): Promise<string[]> {
  const list = String(await raw.client('LIST'));
  return list
    .split('\n')
    .filter((line) => line.includes(` name=${name} `))
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]!);
}

describe('RedisStore version tracking (trackVersions, CLIENT TRACKING under RESP3)', () => {
  let raw: Redis;
  let client: Redis;
  let scope: string;
  let name: string;
  let store: RedisStore;
  let entryKey: string;
  let versionKey: string;

  beforeEach(async () => {
    raw = new Redis(redisUrl());
    client = new Redis(redisUrl());
    const id = randomBytes(4).toString('hex');
    scope = `vm${id}`;
    name = `mirror-${id}`;
    store = new RedisStore({ client, name, trackVersions: true });
    entryKey = `${scope}:ns:a`;
    versionKey = `${scope}#n:ns`;
    // The counter exists at 0, so rounds of INCR read as 1, 2, ... (a missing one starts at a random base).
    await raw.set(versionKey, '0');
    await store.write(entryKey, { v: 'a', g: 1, n: 0 }, 60_000);
  });

  afterEach(async () => {
    await store.close();
    await client.quit();
    await raw.quit();
  });

  /** Reads until a read of the entry is one GET on the mirror's connection (its version copied). */
  async function warm(target = store, key = entryKey, versions = [versionKey]): Promise<void> {
    await until(async () => (await commandsSent(() => target.read(key, versions))).join() === 'mirror:get', 'a hit is one GET on the tracking connection');
  }

  it('serves a warm hit with one GET of the entry on its connection, and reads the versions it does not hold', async () => {
    await warm();
    expect(store.versionsTracked).toBe(true);
    expect(await commandsSent(() => store.read(entryKey, [versionKey]))).toEqual(['mirror:get']);
    const other = `${scope}#t:other`;
    // A counter never read is started first (one script), then read like any other.
    expect((await commandsSent(() => store.read(entryKey, [versionKey, other]))).filter((c) => c !== 'client:eval')).toEqual(['mirror:mget', 'client:evalsha']);
    await raw.set(other, '0');
    expect(await commandsSent(() => store.read(entryKey, [versionKey, other]))).toEqual(['mirror:mget']);
    // Asked for versions alone, the store always asks Redis (copies serve only reads of entries).
    expect(await commandsSent(() => store.readVersions([versionKey, other]))).toEqual(['mirror:mget']);
    expect(await store.readVersions([versionKey, other])).toEqual([0, 0]);
  });

  it('sends a burst of reads as one MGET of their entries on its connection, and sees a change made before it', async () => {
    const keys = ['b', 'c', 'd'].map((k) => `${scope}:ns:${k}`);
    for (const [i, k] of keys.entries()) await store.write(k, { v: k, g: 10 + i, n: 0 }, 60_000);
    await warm();
    const burst = () => Promise.all([entryKey, ...keys].map((k) => store.read(k, [versionKey])));
    let results: Awaited<ReturnType<typeof burst>> = [];
    expect(await commandsSent(async () => (results = await burst()))).toEqual(['mirror:get', 'mirror:mget']);
    expect(results.map((r) => r.entry?.v)).toEqual(['a', ...keys]);
    expect(results.every((r) => r.versions[0] === 0)).toBe(true);
    await raw.incr(versionKey);
    expect((await burst()).map((r) => r.versions[0])).toEqual([1, 1, 1, 1]);
  });

  it('sends the writes and reads of one turn together on its connection, writes first: a read sees the writes of its turn', async () => {
    await warm();
    let read: Awaited<ReturnType<typeof store.read>> | undefined;
    const sent = await commandsSent(async () => {
      [, read] = await Promise.all([store.write(entryKey, { v: 'b', g: 2, n: 0 }, 60_000), store.read(entryKey, [versionKey])]);
    });
    expect(sent).toEqual(['mirror:set', 'mirror:mget']);
    expect(read!.entry).toEqual({ v: 'b', g: 2, n: 0 });
  });

  it('sees a change another connection made by the very next read, with no wait (300 rounds)', async () => {
    await warm();
    let fromCopy = 0;
    for (let round = 1; round <= 300; round++) {
      const sent = await commandsSent(() => store.read(entryKey, [versionKey]));
      if (sent.join() === 'mirror:get') fromCopy++;
      expect(await raw.incr(versionKey)).toBe(round);
      // Redis announced the change on the mirror's connection before it answered the next
      // read there: that read must see it, not a copy.
      expect((await store.read(entryKey, [versionKey])).versions).toEqual([round]);
    }
    // The rounds began on the copy, so each change had to come through its announcement.
    expect(fromCopy).toBeGreaterThan(150);
  });

  it('sees counters deleted or expired by anyone', async () => {
    await raw.set(versionKey, '7');
    await warm();
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([7]);
    await raw.unlink(versionKey);
    // a lost counter starts again at a random base: never 7 (nor 0) again
    const [restarted] = (await store.read(entryKey, [versionKey])).versions;
    expect(restarted! >= 2 ** 51 && restarted! < 2 ** 52).toBe(true);
    expect(await raw.get(versionKey)).toBe(String(restarted));
    await raw.set(versionKey, '9', 'PX', 50);
    await store.read(entryKey, [versionKey]);
    await until(async () => (await store.read(entryKey, [versionKey])).versions[0] === 9, 'the store copies the new counter');
    // Redis announces an expiry when it reclaims the key (on access, or by its expiry cycle),
    // and the copies are dropped every MIRROR_MAX_AGE_MS anyway: seen within that bound.
    await until(
      async () => (await store.read(entryKey, [versionKey])).versions[0]! >= 2 ** 51,
      'the expired counter starts again at a random base',
      MIRROR_MAX_AGE_MS + 1_000,
    );
  });

  it('sees its own bumps at once', async () => {
    await warm();
    expect(await store.bump([versionKey])).toEqual([1]);
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([1]);
  });

  it('reads versions while the tracking connection is down, and tracks again once it is back', async () => {
    await warm();
    const [id] = await connectionsNamed(raw, `cachekit-versions:${name}`);
    expect(id).toBeDefined();
    await raw.client('KILL', 'ID', id!);
    await until(() => !store.versionsTracked, 'the mirror notices its connection is gone', 5_000, 1);
    // Down (it reconnects after 100 ms at the soonest): reads fetch their versions on the client.
    expect(await commandsSent(() => store.read(entryKey, [versionKey]))).toEqual(['client:mget']);
    await raw.incr(versionKey);
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([1]);
    // Whatever the mirror does meanwhile (down, setting up, live again), changes are seen.
    for (let round = 2; round <= 20; round++) {
      await raw.incr(versionKey);
      expect((await store.read(entryKey, [versionKey])).versions).toEqual([round]);
      await sleep(10);
    }
    await warm();
    expect(await connectionsNamed(raw, `cachekit-versions:${name}`)).toHaveLength(1);
    expect(await commandsSent(() => store.read(entryKey, [versionKey]))).toEqual(['mirror:get']);
    await raw.incr(versionKey);
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([21]);
  });

  it('closes its tracking connection with the store', async () => {
    await warm();
    expect(await connectionsNamed(raw, `cachekit-versions:${name}`)).toHaveLength(1);
    await store.close();
    await until(async () => (await connectionsNamed(raw, `cachekit-versions:${name}`)).length === 0, 'the tracking connection is closed');
  });

  it('tracks by default; with trackVersions: false it reads versions on every read and opens no connection', async () => {
    const tracking = new RedisStore({ client, name: `${name}-default` });
    await warm(tracking);
    expect(await connectionsNamed(raw, `cachekit-versions:${name}-default`)).toHaveLength(1);
    await tracking.close();
    const plain = new RedisStore({ client, name: `${name}-off`, trackVersions: false });
    for (let i = 0; i < 3; i++) await plain.read(entryKey, [versionKey]);
    await sleep(100);
    expect(plain.versionsTracked).toBe(false);
    expect(await commandsSent(() => plain.read(entryKey, [versionKey]))).toEqual(['client:mget']);
    expect(await connectionsNamed(raw, `cachekit-versions:${name}-off`)).toHaveLength(0);
    await plain.close();
  });

  it('refuses a trackVersions that is not a boolean, naming it', () => {
    expect(() => new RedisStore({ client, trackVersions: 'yes' as unknown as boolean })).toThrow(
      new TypeError(`RedisStore: trackVersions must be true or false; got 'yes'`),
    );
  });

  it('tracks under the key prefix of an ioredis client', async () => {
    const keyPrefix = `${scope}app:`;
    const prefixed = new Redis(redisUrl(), { keyPrefix });
    const inner = new RedisStore({ client: prefixed, name: `${name}-prefixed`, trackVersions: true });
    try {
      await inner.write(entryKey, { v: 'a', g: 1, n: 0 }, 60_000);
      await raw.set(`${keyPrefix}${versionKey}`, '0');
      await warm(inner);
      const hit = await inner.read(entryKey, [versionKey]);
      expect(hit.entry).toEqual({ v: 'a', g: 1, n: 0 });
      await raw.incr(`${keyPrefix}${versionKey}`);
      expect((await inner.read(entryKey, [versionKey])).versions).toEqual([1]);
    } finally {
      await inner.close();
      await prefixed.quit();
    }
  });
});
