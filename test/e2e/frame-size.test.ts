import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { configureCache, RedisStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { MAX_FRAME_BYTES, packFrameChunks } from '../../src/stores/redis/packed-frames.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';

/**
 * One turn's writes travel packed into one Redis argument (RedisStore's SET_MANY burst, the
 * write-behind journal's append). On a server whose `proto-max-bulk-len` is lowered to its
 * minimum (1 MB), a wave of 2 MB succeeds entirely: it goes as several frames.
 */
describe('packed frames stay below proto-max-bulk-len', () => {
  let server: TestRedisServer;
  let redis: Redis;
  const runtimes: CacheRuntime[] = [];
  const url = () => `redis://127.0.0.1:${server.port}`;

  beforeAll(() => {
    server = startServer();
    expect(server.cli('CONFIG', 'SET', 'proto-max-bulk-len', '1mb')).toBe('OK');
    redis = new Redis(url());
  });
  afterAll(async () => {
    for (const r of runtimes) await r.close();
    redis.disconnect();
    server.kill();
  });

  it('packFrameChunks: frames of at most MAX_FRAME_BYTES, groups never split, a group larger than a frame alone', () => {
    const big = Buffer.alloc(MAX_FRAME_BYTES);
    const small = Buffer.alloc(100_000);
    const chunks = packFrameChunks(['k1', small, '0', 'k2', small, '0', 'k3', big, '0', 'k4', small, '0'], 3);
    expect(chunks.map((c) => c.groups)).toEqual([2, 1, 1]);
    expect(chunks.map((c) => c.frame.length)).toEqual([2 * (3 * 4 + 2 + 100_000 + 1), 3 * 4 + 2 + MAX_FRAME_BYTES + 1, 3 * 4 + 2 + 100_000 + 1]);
    expect(packFrameChunks([]).map((c) => c.groups)).toEqual([0]);
  });

  it('the server refuses one argument over 1 MB (the limit is real)', async () => {
    await expect(redis.set('too-big', Buffer.alloc(1024 * 1024 + 1))).rejects.toThrow(/invalid bulk length/i);
  });

  it('RedisStore: 100 writes of 20 KB in one turn (one burst, 2 MB) all succeed and read back', async () => {
    const store = new RedisStore({ connection: url(), trackVersions: false });
    runtimes.push(configureCache({ store, prefix: `frames-${randomBytes(3).toString('hex')}` }));
    await store.read('warm-up', []); // connected: the writes below go as one burst
    const value = (i: number) => `${i}:`.padEnd(20_000, String.fromCharCode(97 + (i % 26)));
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.write(`big:${i}`, { v: value(i), g: i + 1 }, 60_000)));
    const read = await Promise.all(Array.from({ length: 100 }, (_, i) => store.read(`big:${i}`, [])));
    expect(read.map((r) => r.entry?.v)).toEqual(Array.from({ length: 100 }, (_, i) => value(i)));
  });

  it('durable @WriteBehind: 100 calls of 20 KB in one wave are all journaled (several appends) and all reach the method', async () => {
    const prefix = `frames-${randomBytes(3).toString('hex')}`;
    const runtime = configureCache({ store: new RedisStore({ connection: url() }), prefix });
    runtimes.push(runtime);
    const rows = new Map<string, string>();
    class Blobs {
      @WriteBehind({ durable: true, key: (id: string) => id, batch: { size: 1000, intervalMs: 3_600_000 } })
      async put(id: string, blob: string): Promise<void> {
        rows.set(id, blob);
      }
    }
    const blobs = new Blobs();
    const blob = (i: number) => `${i}`.padEnd(20_000, 'x');
    await Promise.all(Array.from({ length: 100 }, (_, i) => blobs.put(`b${i}`, blob(i))));
    expect(await redis.xlen(`${prefix}#wb:{Blobs.put}`)).toBe(100);
    await runtime.flush();
    expect(rows.size).toBe(100);
    expect([...rows.entries()].every(([id, b]) => b === blob(Number(id.slice(1))))).toBe(true);
    expect(await redis.xlen(`${prefix}#wb:{Blobs.put}`)).toBe(0);
  });
});
