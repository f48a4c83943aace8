import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { RedisStore } from '../../src/index.js';
import { redisUrl } from './store-suite.js';
import { sleep, until } from '../helpers/waiting.js';
import { MIRROR_MAX_AGE_MS } from '../../src/stores/version-mirror.js';

/** Names of the commands `client` sends while `run` runs. */
async function commandNames(client: Redis, run: () => Promise<unknown>): Promise<string[]> {
  const spy = jest.spyOn(client, 'sendCommand');
  try {
    await run();
    return spy.mock.calls.map(([command]) => (command as unknown as { name: string }).name);
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

describe('RedisStore version tracking (trackVersions: true, CLIENT TRACKING)', () => {
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
    await store.write(entryKey, { v: 'a', g: 1, n: 0 }, 60_000);
  });

  afterEach(async () => {
    await store.close();
    await client.quit();
    await raw.quit();
  });

  /** Reads until the mirror is live and holds the version key, then once more. */
  async function warm(): Promise<void> {
    await until(async () => {
      await store.read(entryKey, [versionKey]);
      return store.versionsTracked;
    }, 'the store tracks versions');
    await store.read(entryKey, [versionKey]);
  }

  it('serves a warm hit with one GET of the entry, and reads the versions it does not hold', async () => {
    await warm();
    expect(await commandNames(client, () => store.read(entryKey, [versionKey]))).toEqual(['get']);
    const other = `${scope}#t:other`;
    expect(await commandNames(client, () => store.read(entryKey, [versionKey, other]))).toEqual(['mget']);
    expect(await commandNames(client, () => store.readVersions([versionKey, other]))).toEqual([]);
    expect(await store.readVersions([versionKey, other])).toEqual([0, 0]);
  });

  it('sees a change another connection made as soon as its announcement arrives (300 rounds)', async () => {
    await warm();
    let viaGet = 0;
    for (let round = 1; round <= 300; round++) {
      const names = await commandNames(client, () => store.read(entryKey, [versionKey]));
      if (names.join() === 'get') viaGet++;
      expect(await raw.incr(versionKey)).toBe(round);
      // The announcement travels on the tracking connection: it may trail the INCR's reply by
      // microseconds. Well below the 1 s refresh, so only the announcement can bring it.
      await until(async () => (await store.read(entryKey, [versionKey])).versions[0] === round, `round ${round} is seen`, 200, 1);
      expect(await store.readVersions([versionKey])).toEqual([round]);
    }
    // The rounds began on the copy, so each change had to come through its announcement.
    expect(viaGet).toBeGreaterThan(150);
  });

  it('sees counters deleted or expired by anyone', async () => {
    await raw.set(versionKey, '7');
    await warm();
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([7]);
    await raw.unlink(versionKey);
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([0]);
    await raw.set(versionKey, '9', 'PX', 50);
    await store.read(entryKey, [versionKey]);
    await until(async () => (await store.read(entryKey, [versionKey])).versions[0] === 9, 'the store copies the new counter');
    // Redis announces an expiry when it reclaims the key (on access, or by its expiry cycle),
    // and the copies are dropped every MIRROR_MAX_AGE_MS anyway: seen within that bound.
    await until(
      async () => (await store.read(entryKey, [versionKey])).versions[0] === 0,
      'the expired counter reads 0',
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
    // Down (it reconnects after 100 ms at the soonest): reads fetch their versions.
    expect(await commandNames(client, () => store.read(entryKey, [versionKey]))).toEqual(['mget']);
    await raw.incr(versionKey);
    expect((await store.read(entryKey, [versionKey])).versions).toEqual([1]);
    // Whatever the mirror does meanwhile (down, setting up, live again), changes are seen.
    for (let round = 2; round <= 20; round++) {
      await raw.incr(versionKey);
      await until(async () => (await store.read(entryKey, [versionKey])).versions[0] === round, `round ${round} is seen`, 200, 1);
    }
    await warm();
    expect(await connectionsNamed(raw, `cachekit-versions:${name}`)).toHaveLength(1);
    expect(await commandNames(client, () => store.read(entryKey, [versionKey]))).toEqual(['get']);
    await raw.incr(versionKey);
    await until(async () => (await store.read(entryKey, [versionKey])).versions[0] === 21, 'the change after tracking resumed is seen', 200, 1);
  });

  it('closes its tracking connection with the store', async () => {
    await warm();
    expect(await connectionsNamed(raw, `cachekit-versions:${name}`)).toHaveLength(1);
    await store.close();
    await until(async () => (await connectionsNamed(raw, `cachekit-versions:${name}`)).length === 0, 'the tracking connection is closed');
  });

  it('by default (and with trackVersions: false) reads versions on every read and opens no connection', async () => {
    for (const [suffix, options] of [['default', {}], ['off', { trackVersions: false }]] as const) {
      const plain = new RedisStore({ client, name: `${name}-${suffix}`, ...options });
      for (let i = 0; i < 3; i++) await plain.read(entryKey, [versionKey]);
      await sleep(100);
      expect(plain.versionsTracked).toBe(false);
      expect(await commandNames(client, () => plain.read(entryKey, [versionKey]))).toEqual(['mget']);
      expect(await connectionsNamed(raw, `cachekit-versions:${name}-${suffix}`)).toHaveLength(0);
      await plain.close();
    }
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
      await until(async () => {
        await inner.read(entryKey, [versionKey]);
        return inner.versionsTracked;
      }, 'the prefixed store tracks versions');
      await inner.read(entryKey, [versionKey]);
      expect(await commandNames(prefixed, () => inner.read(entryKey, [versionKey]))).toEqual(['get']);
      await raw.incr(`${keyPrefix}${versionKey}`);
      expect((await inner.read(entryKey, [versionKey])).versions).toEqual([1]);
    } finally {
      await inner.close();
      await prefixed.quit();
    }
  });
});
