import { configureCache, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';
import { settle } from '../helpers/waiting.js';


describe('@WriteBehind: the flusher (batching, coalescing, concurrency, order)', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;

  beforeEach(() => {
    scheduler = new ManualScheduler();
    runtime = configureCache({ store: new MemoryStore() });
    db = new FakeDatabase();
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function repo(options: Parameters<typeof WriteBehind>[0] = {}) {
    const database = db;
    class Repo {
      @WriteBehind({ key: (id: string) => id, scheduler, ...options })
      async save(id: string, v: number) {
        await database.write([[id, v]]);
      }

      async saveMany(rows: Array<[string, number]>) {
        await database.write(rows);
      }
    }
    return new Repo();
  }

  it('flushes exactly when the batch interval has passed since the first queued write', async () => {
    const r = repo({ batch: { size: 100, intervalMs: 500 } });
    await r.save('a', 1);
    await scheduler.advance(300);
    await r.save('b', 2);
    await scheduler.advance(199);
    expect(db.calls).toEqual([]);
    await scheduler.advance(1);
    expect(db.calls).toEqual([['a'], ['b']]);
    // the next write starts a new interval
    await r.save('c', 3);
    await scheduler.advance(499);
    expect(db.calls.length).toBe(2);
    await scheduler.advance(1);
    expect(db.calls).toEqual([['a'], ['b'], ['c']]);
  });

  it('flushes as soon as a batch is full, without waiting for the interval', async () => {
    const r = repo({ batchWith: 'saveMany', batch: { size: 4, intervalMs: 60_000 } });
    for (const k of ['a', 'b', 'c']) await r.save(k, 1);
    await scheduler.advance(0);
    expect(db.calls).toEqual([]);
    await r.save('d', 1);
    await scheduler.advance(0);
    expect(db.calls).toEqual([['a', 'b', 'c', 'd']]);
    expect(scheduler.now()).toBe(0);
  });

  it('coalesces a hot key while the database is busy, so it is written once per free slot', async () => {
    const r = repo({ batchWith: 'saveMany', batch: { size: 2, intervalMs: 1000 } });
    db.hold();
    await r.save('a', 1);
    await r.save('b', 1);
    await scheduler.advance(0); // batch [a, b] is in flight and held
    expect(runtime.writeBehind?.size).toBe(2);
    for (let i = 2; i <= 50; i++) await r.save('hot', i);
    expect(runtime.writeBehind?.size).toBe(3);
    db.release();
    await runtime.flush();
    expect(db.calls).toEqual([['a', 'b'], ['hot']]);
    expect(db.rows.get('hot')).toBe(50);
  });

  it('never runs more method calls at once than concurrency', async () => {
    const r = repo({ concurrency: 3, batch: { size: 100, intervalMs: 10 } });
    db.hold();
    for (let i = 0; i < 10; i++) await r.save(`k${i}`, i);
    await scheduler.advance(10);
    await settle();
    expect(db.maxConcurrent).toBe(3);
    db.release();
    await runtime.flush();
    expect(db.maxConcurrent).toBe(3);
    expect(db.rows.size).toBe(10);
  });

  it('runs the batches due one after another in its slot, yet a retry waiting for the slot goes after the batch in flight', async () => {
    scheduler = new ManualScheduler({ random: () => 0.5 }); // each retry 5 ms after its failure
    const r = repo({ batchWith: 'saveMany', concurrency: 1, batch: { size: 2, intervalMs: 60_000 }, retry: { attempts: 5, backoffMs: 10, maxBackoffMs: 10 } });
    db.poison.add('bad');
    await r.save('bad', 0);
    await r.save('ok', 0);
    await scheduler.advance(0); // [bad, ok] fails: split in halves, each retried 5 ms later
    await settle();
    db.poison.delete('bad');
    db.hold();
    for (let i = 0; i < 8; i++) await r.save(`k${i}`, i); // four batches due
    await scheduler.advance(0); // the first is in flight, held by the database
    await scheduler.advance(10); // the retries are due: they wait for the slot
    await settle();
    expect(db.maxConcurrent).toBe(1);
    db.release();
    await runtime.flush();
    // the two halves' retries right after the batch in flight
    expect(db.calls).toEqual([['bad', 'ok'], ['k0', 'k1'], ['bad'], ['ok'], ['k2', 'k3'], ['k4', 'k5'], ['k6', 'k7']]);
    expect(db.maxConcurrent).toBe(1);
    expect(db.rows.get('bad')).toBe(0);
  });

  it('keeps the order of writes to one key: a write queued while the previous one is in flight waits for it', async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    class Repo {
      @WriteBehind({ key: (id: string) => id, scheduler, concurrency: 4, batch: { size: 1, intervalMs: 1000 } })
      async save(id: string, v: number) {
        order.push(`start ${id}=${v}`);
        if (id === 'a' && v === 1) await firstHeld;
        order.push(`end ${id}=${v}`);
      }
    }
    const r = new Repo();
    await r.save('a', 1);
    await scheduler.advance(0);
    expect(order).toEqual(['start a=1']);
    await r.save('a', 2); // a=1 is in flight: a=2 waits, although slots are free
    await r.save('b', 1);
    await scheduler.advance(0);
    expect(order).toEqual(['start a=1', 'start b=1', 'end b=1']);
    releaseFirst();
    await runtime.flush();
    expect(order).toEqual(['start a=1', 'start b=1', 'end b=1', 'end a=1', 'start a=2', 'end a=2']);
  });

  it('runtime.flush() writes everything queued at once, whatever the interval, and resolves after the method', async () => {
    const r = repo({ batchWith: 'saveMany', batch: { size: 100, intervalMs: 3_600_000 } });
    for (let i = 0; i < 5; i++) await r.save(`k${i}`, i);
    await runtime.flush();
    expect(db.calls).toEqual([['k0', 'k1', 'k2', 'k3', 'k4']]);
    expect(scheduler.now()).toBe(0);
    expect(runtime.writeBehind?.size).toBe(0);
    expect(runtime.writeBehind?.hasPending).toBe(false);
  });

  it('runtime.flush() waits for writes queued before it only', async () => {
    const r = repo({ batch: { size: 100, intervalMs: 1000 } });
    db.hold();
    await r.save('a', 1);
    const flushed = runtime.flush();
    await settle();
    await r.save('b', 2); // after the flush began: not waited for
    let done = false;
    void flushed.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    db.release();
    await flushed;
    expect(db.rows.get('a')).toBe(1);
    expect(db.rows.has('b')).toBe(false);
    await scheduler.advance(1000);
    expect(db.rows.get('b')).toBe(2);
  });

  it('counts queued and flushed calls per method and in total', async () => {
    const r = repo({ batchWith: 'saveMany', batch: { size: 10, intervalMs: 100 } });
    for (let i = 0; i < 30; i++) await r.save(`k${i % 7}`, i);
    await scheduler.advance(100);
    const stats = runtime.stats();
    expect(stats.methods['Repo.save']).toMatchObject({ queued: 30, flushed: 30, retries: 0, deadLetters: 0, errors: 0 });
    expect(stats).toMatchObject({ queued: 30, flushed: 30 });
    expect(db.calls).toEqual([['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']]);
    expect([...db.rows.entries()].sort()).toEqual([
      ['k0', 28],
      ['k1', 29],
      ['k2', 23],
      ['k3', 24],
      ['k4', 25],
      ['k5', 26],
      ['k6', 27],
    ]);
  });
});
