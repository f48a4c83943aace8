import { configureCache, errors, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';
import { settle } from '../helpers/waiting.js';


describe('@WriteBehind: backpressure (maxPending)', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let maxSeen: number;

  beforeEach(() => {
    scheduler = new ManualScheduler({ random: () => 0.5 });
    runtime = configureCache({ store: new MemoryStore({ maxEntries: 100_000 }) });
    db = new FakeDatabase();
    maxSeen = 0;
    const sample = () => (maxSeen = Math.max(maxSeen, runtime.writeBehind?.size ?? 0));
    for (const event of ['set', 'flush', 'retry', 'deadLetter'] as const) runtime.on(event, sample);
  });
  afterEach(async () => {
    db.release();
    await runtime.close();
  });

  function repo(options: Parameters<typeof WriteBehind>[0]) {
    const database = db;
    const size = () => runtime.writeBehind?.size ?? 0;
    class Repo {
      @WriteBehind({ key: (id: string) => id, scheduler, batch: { size: 10, intervalMs: 1000 }, ...options })
      async save(id: string, v: number) {
        maxSeen = Math.max(maxSeen, size());
        await database.write([[id, v]]);
      }

      async saveMany(rows: Array<[string, number]>) {
        maxSeen = Math.max(maxSeen, size());
        await database.write(rows);
      }
    }
    return new Repo();
  }

  it("'reject': a write of a new key fails with QueueFullError when maxPending writes are queued; a queued key still coalesces", async () => {
    const r = repo({ maxPending: 3, backpressure: 'reject' });
    for (const k of ['a', 'b', 'c']) await r.save(k, 1);
    const error = await r.save('d', 1).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(errors.QueueFullError);
    expect((error as { code: string }).code).toBe('E_QUEUE_FULL');
    expect((error as Error).message).toBe("Repo.save: 3 writes are queued already (maxPending; backpressure: 'reject')");
    await r.save('a', 2); // coalesces: takes no room
    expect(runtime.writeBehind?.size).toBe(3);
    await runtime.flush();
    await r.save('d', 1);
    await runtime.flush();
    expect([...db.rows.entries()]).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 1],
      ['d', 1],
    ]);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 5, flushed: 5 });
  });

  it("'wait': calls wait for room in call order and all get written", async () => {
    const r = repo({ maxPending: 3, backpressure: 'wait' });
    db.hold();
    const resolved: number[] = [];
    const calls = Array.from({ length: 8 }, (_, i) => r.save(`k${i}`, i).then(() => resolved.push(i)));
    await settle();
    expect(resolved).toEqual([0, 1, 2]);
    expect(runtime.writeBehind?.size).toBe(3);
    await scheduler.advance(1000);
    expect(db.calls).toEqual([]); // held in the database
    db.release();
    await scheduler.runAll();
    await Promise.all(calls);
    await runtime.flush();
    expect(resolved).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(db.rows.size).toBe(8);
    expect(maxSeen).toBe(3);
  });

  it("'flush': a full queue is flushed at once, and the call goes in when there is room", async () => {
    const r = repo({ maxPending: 4, backpressure: 'flush', batchWith: 'saveMany', batch: { size: 100, intervalMs: 3_600_000 } });
    for (let i = 0; i < 4; i++) await r.save(`k${i}`, i);
    expect(db.calls).toEqual([]);
    await r.save('k4', 4);
    expect(db.calls).toEqual([['k0', 'k1', 'k2', 'k3']]);
    expect(runtime.writeBehind?.size).toBe(1);
    expect(scheduler.now()).toBe(0);
    await runtime.flush();
    expect(db.calls).toEqual([['k0', 'k1', 'k2', 'k3'], ['k4']]);
  });

  it('keeps memory bounded while the database is down for long (never more than maxPending held), loses nothing, and writes everything once it is back', async () => {
    const deadKeys = new Set<string>();
    const r = repo({
      maxPending: 50,
      backpressure: 'wait',
      batchWith: 'saveMany',
      batch: { size: 25, intervalMs: 1000 },
      retry: { attempts: 3, backoffMs: 100, maxBackoffMs: 30_000 },
      deadLetter: (d) => void deadKeys.add(d.key),
    });
    db.down = true;
    let finished = 0;
    const clients = Array.from({ length: 20 }, async (_, c) => {
      for (let i = 0; i < 100; i++) await r.save(`c${c}-${i}`, i);
      finished++;
    });
    // an hour of outage on the injected clock: calls wait for room, nothing is dead-lettered
    for (let step = 0; step < 60; step++) await scheduler.advance(60_000);
    expect(maxSeen).toBe(50);
    expect(runtime.writeBehind?.size).toBe(50);
    expect(finished).toBe(0);
    expect(deadKeys.size).toBe(0);
    db.down = false;
    for (let step = 0; finished < 20 && step < 10_000; step++) await scheduler.advance(1000);
    await Promise.all(clients);
    await scheduler.runAll();
    await runtime.flush();
    expect(finished).toBe(20);
    expect(maxSeen).toBe(50);
    expect(deadKeys.size).toBe(0);
    expect(db.rows.size).toBe(2000);
    expect([...db.rows.entries()].every(([k, v]) => Number(k.split('-')[1]) === v)).toBe(true);
    expect(runtime.writeBehind?.size).toBe(0);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 2000, flushed: 2000, deadLetters: 0 });
  });

  it('close() rejects calls still waiting for room with RuntimeClosedError, and writes what was queued', async () => {
    const r = repo({ maxPending: 1, backpressure: 'wait' });
    await r.save('a', 1);
    const waiting = r.save('b', 2);
    await settle();
    await runtime.close();
    await expect(waiting).rejects.toBeInstanceOf(errors.RuntimeClosedError);
    expect([...db.rows.entries()]).toEqual([['a', 1]]);
    await expect(r.save('c', 3)).rejects.toBeInstanceOf(errors.RuntimeClosedError);
  });
});
