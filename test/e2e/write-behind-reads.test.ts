import 'reflect-metadata';
import { Redis } from 'ioredis';
import {
  Cacheable,
  configureCache,
  ManualScheduler,
  MemoryStore,
  RedisStore,
  TieredStore,
  WriteBehind,
  WriteThrough,
  type CacheRuntime,
} from '../../src/index.js';
import type { StoredEntry } from '../../src/cache-store.js';
import { startServer, type TestRedisServer } from './fixtures/redis-servers.js';
import { ReaderProcess } from './fixtures/reader-process.js';
import { until } from '../helpers/waiting.js';

/**
 * G1 for write-behind across processes, on a real redis-server: once a @WriteBehind call has
 * resolved in this process (the writer, whose flush is held by a ManualScheduler), a read that
 * starts afterwards in another process (test/e2e/fixtures/reader-worker.ts) never returns an
 * older value: not after an @Invalidate of the key or namespace there, not after the entry's
 * TTL, not after the flush, not when the call's cache write timed out (SIGSTOP). The database
 * is a set of keys on the test run's Redis; the cache lives on a private server of this file,
 * which the tests pause.
 */

/** A RedisStore that can hold its next `readVersions` or `writeIf` until the test opens a gate (to pause Redis at that moment). */
class GatedRedisStore extends RedisStore {
  private held: { op: 'readVersions' | 'writeIf'; arrived: () => void; opened: Promise<void> } | undefined;

  /** Holds the next `op`; resolves `arrived` when it is issued; it proceeds once `opened` resolves. */
  hold(op: 'readVersions' | 'writeIf', opened: Promise<void>): Promise<void> {
    return new Promise((arrived) => (this.held = { op, arrived, opened }));
  }

  override readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    const held = this.take('readVersions');
    return held ? held.then(() => super.readVersions(versionKeys)) : super.readVersions(versionKeys);
  }

  override writeIf(key: string, entry: StoredEntry, ttlMs: number, expected: number | undefined): Promise<boolean> {
    const held = this.take('writeIf');
    return held ? held.then(() => super.writeIf(key, entry, ttlMs, expected)) : super.writeIf(key, entry, ttlMs, expected);
  }

  private take(op: 'readVersions' | 'writeIf'): Promise<void> | undefined {
    const held = this.held;
    if (held?.op !== op) return undefined;
    this.held = undefined;
    held.arrived();
    return held.opened;
  }
}

describe('@WriteBehind and reads in another process (RedisStore, two processes)', () => {
  let server: TestRedisServer;
  let cacheUrl: string;
  const dbUrl = process.env.REDIS_URL!;
  let db: Redis;
  let store: GatedRedisStore;
  let runtime: CacheRuntime;
  let scheduler: ManualScheduler;
  let reader: ReaderProcess;
  let prefix: string;
  const errors: string[] = [];

  beforeAll(() => {
    server = startServer();
    cacheUrl = `redis://127.0.0.1:${server.port}`;
    db = new Redis(dbUrl);
  });
  afterAll(async () => {
    db.disconnect();
    server.kill();
  });

  beforeEach(async () => {
    prefix = `wbr-${Math.random().toString(36).slice(2)}`;
    scheduler = new ManualScheduler();
    store = new GatedRedisStore({ connection: cacheUrl, timeoutMs: 200 });
    errors.length = 0;
    runtime = configureCache({ store, prefix, onError: (e, c) => errors.push(`${c.operation}: ${(e as { code?: string }).code}`) });
    await db.set(`db:${prefix}:row:a`, 'old row');
    await db.set(`db:${prefix}:views:p`, '10');
    reader = new ReaderProcess(cacheUrl, dbUrl, prefix);
    await reader.ready;
  }, 20_000);
  afterEach(async () => {
    server.resume();
    await reader.stop();
    await runtime.close();
  });

  function rowsClass(ttl: number = 600_000) {
    const database = db;
    const p = prefix;
    class Rows {
      @WriteBehind({ namespace: 'row', key: (k: string) => k, ttl, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async save(k: string, row: string) {
        await database.set(`db:${p}:row:${k}`, row);
      }

      @Cacheable({ namespace: 'row', key: (k: string) => k, ttl: '10m' })
      async read(k: string): Promise<string | null> {
        return database.get(`db:${p}:row:${k}`);
      }

      @WriteThrough({ namespace: 'row', key: (k: string) => k, ttl: '10m' })
      async update(k: string, row: string): Promise<string> {
        await database.set(`db:${p}:row:${k}`, row);
        return row;
      }

      @WriteBehind({ namespace: 'views', key: (k: string) => k, merge: (a: number, b: number) => a + b, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async addViews(k: string, n: number) {
        await database.incrby(`db:${p}:views:${k}`, n);
      }

      @Cacheable({ namespace: 'views', key: (k: string) => k, ttl: '10m' })
      async views(k: string): Promise<number> {
        return Number((await database.get(`db:${p}:views:${k}`)) ?? 0);
      }
    }
    return new Rows();
  }

  const flush = async () => {
    await scheduler.runAll();
    await runtime.flush();
  };

  it.each([
    ['of the key', 'invalidate'],
    ['of the namespace', 'invalidateAll'],
  ] as const)('another process reads the queued value, even after an @Invalidate %s there, and the new row after the flush', async (_name, op) => {
    const rows = rowsClass();
    expect(await reader.call('read', 'a')).toBe('old row'); // the other process cached the old row
    await rows.save('a', 'new row');
    expect(await reader.call('read', 'a')).toBe('new row');
    await reader.call(op, 'a'); // the queued write reaches the database after this: it stays the newest value
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await db.get(`db:${prefix}:row:a`)).toBe('old row');
    await flush();
    expect(await db.get(`db:${prefix}:row:a`)).toBe('new row');
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await rows.read('a')).toBe('new row');
    // an ordinary entry again: a later change of the row plus an invalidation is seen by everyone
    await db.set(`db:${prefix}:row:a`, 'newer row');
    await reader.call(op, 'a');
    expect(await reader.call('read', 'a')).toBe('newer row');
    expect(await rows.read('a')).toBe('newer row');
  });

  it('a write-behind ttl shorter than the batch interval: the pending entry outlives it, the other process never caches the old row', async () => {
    const rows = rowsClass(1_000);
    await rows.save('a', 'new row');
    const queuedAt = Date.now();
    expect(Number(server.cli('pttl', `${prefix}:row:a`))).toBeGreaterThan(1_000); // lives past its ttl while queued
    await until(() => Date.now() > queuedAt + 1_500, 'the ttl to pass');
    expect(await reader.call('read', 'a')).toBe('new row');
    await flush();
    // once written, the entry has its own ttl (from the flush) again
    expect(Number(server.cli('pttl', `${prefix}:row:a`))).toBeLessThanOrEqual(1_000);
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await rows.read('a')).toBe('new row');
  });

  it('the call\'s cache write times out (Redis stopped at that moment): after the flush no process reads the pre-write entry', async () => {
    const rows = rowsClass();
    expect(await rows.read('a')).toBe('old row');
    expect(await reader.call('read', 'a')).toBe('old row');
    let open!: () => void;
    const arrived = store.hold('readVersions', new Promise<void>((resolve) => (open = resolve)));
    const saving = rows.save('a', 'new row');
    await arrived; // the call is about to read the versions for its cache write
    server.pause();
    open();
    await saving; // accepted although its cache write timed out
    expect(errors.filter((e) => e.endsWith('E_STORE_TIMEOUT')).length).toBeGreaterThan(0);
    server.resume();
    expect(await rows.read('a')).toBe('new row'); // read-your-writes, from the queue
    await flush();
    expect(await db.get(`db:${prefix}:row:a`)).toBe('new row');
    expect(await rows.read('a')).toBe('new row');
    expect(await reader.call('read', 'a')).toBe('new row');
  });

  it('merged counters: this process reads the database value plus its queued deltas, the other the database value, both the new total after the flush', async () => {
    const rows = rowsClass();
    expect(await reader.call('views', 'p')).toBe(10);
    await rows.addViews('p', 1);
    await rows.addViews('p', 2);
    expect(await rows.views('p')).toBe(13);
    expect(await reader.call('views', 'p')).toBe(10); // never the bare delta (3)
    await flush();
    expect(await db.get(`db:${prefix}:views:p`)).toBe('13');
    expect(await reader.call('views', 'p')).toBe(13);
    expect(await rows.views('p')).toBe(13);
  });

  it('@WriteThrough whose cache write times out (Redis stopped at that moment): once Redis answers, no process reads the old row', async () => {
    const rows = rowsClass();
    expect(await reader.call('read', 'a')).toBe('old row');
    let open!: () => void;
    const arrived = store.hold('writeIf', new Promise<void>((resolve) => (open = resolve)));
    const updating = rows.update('a', 'new row');
    await arrived; // the database has the new row; the cache write is about to go out
    server.pause();
    open();
    expect(await updating).toBe('new row'); // resolves: its cache write and the invalidation timed out (both retried)
    expect(errors).toEqual(expect.arrayContaining(['write: E_STORE_TIMEOUT', 'invalidate: E_STORE_TIMEOUT']));
    expect(await rows.read('a')).toBe('new row'); // this process bypasses the cache until the invalidation lands
    server.resume();
    await until(() => runtime.unconfirmed.size === 0, 'the invalidation to be retried');
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await rows.read('a')).toBe('new row');
  });
});

describe('@WriteBehind and reads in another process (TieredStore, two processes, after the bus delay)', () => {
  const url = process.env.REDIS_URL!;
  let db: Redis;
  let runtime: CacheRuntime;
  let store: TieredStore;
  let scheduler: ManualScheduler;
  let reader: ReaderProcess;
  let prefix: string;

  beforeEach(async () => {
    db = new Redis(url);
    prefix = `wbt-${Math.random().toString(36).slice(2)}`;
    scheduler = new ManualScheduler();
    store = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }), bus: { channel: `${prefix}:bus` } });
    runtime = configureCache({ store, prefix });
    await until(() => store.l1Active, 'the bus to subscribe');
    await db.set(`db:${prefix}:row:a`, 'old row');
    await db.set(`db:${prefix}:views:p`, '10');
    reader = new ReaderProcess(url, url, prefix, 'tiered', `${prefix}:bus`);
    await reader.ready;
  }, 20_000);
  afterEach(async () => {
    await reader.stop();
    await runtime.close();
    db.disconnect();
  });

  function rowsClass() {
    const database = db;
    const p = prefix;
    class Rows {
      @WriteBehind({ namespace: 'row', key: (k: string) => k, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async save(k: string, row: string) {
        await database.set(`db:${p}:row:${k}`, row);
      }

      @WriteBehind({ namespace: 'views', key: (k: string) => k, merge: (a: number, b: number) => a + b, scheduler, batch: { size: 100, intervalMs: 60_000 } })
      async addViews(k: string, n: number) {
        await database.incrby(`db:${p}:views:${k}`, n);
      }

      @Cacheable({ namespace: 'views', key: (k: string) => k, ttl: '10m' })
      async views(k: string): Promise<number> {
        return Number((await database.get(`db:${p}:views:${k}`)) ?? 0);
      }
    }
    return new Rows();
  }
  const flush = async () => {
    await scheduler.runAll();
    await runtime.flush();
  };
  /** Reads in the other process until it answers `value` (its L1 copy is dropped within the bus delay). */
  const readerSees = (op: 'read' | 'views', key: string, value: unknown) =>
    until(async () => (await reader.call(op, key)) === value, `the other process to read ${String(value)}`);

  it('the queued value survives an @Invalidate of the key in the other process; the new row after the flush', async () => {
    const rows = rowsClass();
    expect(await reader.call('read', 'a')).toBe('old row'); // in its L1 and in Redis
    await rows.save('a', 'new row');
    await readerSees('read', 'a', 'new row');
    await reader.call('invalidate', 'a');
    expect(await reader.call('read', 'a')).toBe('new row');
    expect(await reader.call('read', 'a')).toBe('new row');
    await flush();
    await readerSees('read', 'a', 'new row');
    await db.set(`db:${prefix}:row:a`, 'newer row');
    await reader.call('invalidate', 'a');
    expect(await reader.call('read', 'a')).toBe('newer row');
  });

  it('merged counters: never the bare delta in the other process; the new total after the flush', async () => {
    const rows = rowsClass();
    expect(await reader.call('views', 'p')).toBe(10);
    await rows.addViews('p', 3);
    expect(await rows.views('p')).toBe(13);
    expect(await reader.call('views', 'p')).toBe(10);
    await flush();
    await readerSees('views', 'p', 13);
    expect(await rows.views('p')).toBe(13);
  });
});
