import { configureCache, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime, type DeadLetter, type ErrorContext } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';

/**
 * Outage versus poison (retry.onOutage: 'retry', the default): a failure counts toward
 * retry.attempts only when writes of other keys queued with or after it succeed meanwhile. A
 * database down for hours (on the injected clock) loses nothing; one poison write among good
 * ones is dead-lettered alone.
 */
describe('@WriteBehind: a database outage of any length loses nothing; only poison is dead-lettered', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let dead: DeadLetter[];
  let reported: Array<{ error: unknown; context: ErrorContext }>;

  beforeEach(() => {
    scheduler = new ManualScheduler({ random: () => 0.5 });
    reported = [];
    runtime = configureCache({ store: new MemoryStore(), onError: (error, context) => reported.push({ error, context }) });
    db = new FakeDatabase();
    dead = [];
  });
  afterEach(async () => {
    const closing = runtime.close();
    await scheduler.runAll();
    await closing;
  });

  function repo(options: Parameters<typeof WriteBehind>[0] = {}) {
    const database = db;
    class Repo {
      @WriteBehind({ key: (id: string) => id, scheduler, batch: { size: 10, intervalMs: 1000 }, deadLetter: (d) => void dead.push(d), ...options })
      async save(id: string, v: number) {
        await database.write([[id, v]]);
      }

      async saveMany(rows: Array<[string, number]>) {
        await database.write(rows);
      }
    }
    return new Repo();
  }

  for (const mode of ['per item', 'batchWith'] as const) {
    it(`${mode}: down for 3 hours while 10 keys are written 3 times each: nothing dead-lettered, retries back off to the cap, every key lands with its last value`, async () => {
      const r = repo(mode === 'batchWith' ? { batchWith: 'saveMany' } : {});
      db.down = true;
      const hour = 3_600_000;
      for (let round = 0; round < 3; round++) {
        for (let k = 0; k < 10; k++) await r.save(`k${k}`, round * 100 + k);
        // coalescing goes on while the database is down: the round's writes join the queued ones
        await scheduler.advance(hour);
      }
      expect(db.rows.size).toBe(0);
      expect(dead).toEqual([]);
      // per key: the first write, retrying, and one waiting behind it that took in rounds 2 and 3 (order per key is kept)
      expect(runtime.writeBehind?.size).toBe(20);
      // random() = 0.5: the delay is half of min(maxBackoffMs, backoffMs * 2^(n-1)); it stops growing at the cap
      expect(Math.max(...scheduler.requestedDelays)).toBe(15_000);
      const stats = runtime.stats().methods['Repo.save']!;
      expect(stats.deadLetters).toBe(0);
      expect(stats.retries).toBeGreaterThan(10 * 3 * 60); // hours of retries, every one of them waited out
      db.down = false;
      await scheduler.runAll();
      await runtime.flush();
      expect(Object.fromEntries(db.rows)).toEqual(Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`k${k}`, 200 + k])));
      expect(dead).toEqual([]);
      expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 30, flushed: 30, deadLetters: 0 });
      expect(runtime.writeBehind?.size).toBe(0);
    });
  }

  /**
   * Traffic goes on: one good write per second until something is dead-lettered (a poison write
   * counts a failure only when a write started after its previous failure succeeded).
   * @returns the keys written meanwhile
   */
  async function keepWritingUntilDeadLetter(r: { save(id: string, v: number): Promise<void> }): Promise<string[]> {
    const written: string[] = [];
    await scheduler.advance(1000);
    while (dead.length === 0 && written.length < 50) {
      written.push(`h${written.length}`);
      await r.save(written[written.length - 1]!, written.length);
      await scheduler.advance(1000);
    }
    await scheduler.runAll();
    return written;
  }

  it('per item: one poison write among nine good ones is dead-lettered alone; the good ones are written', async () => {
    const r = repo({ retry: { attempts: 3, backoffMs: 100 } });
    db.poison.add('p');
    await r.save('p', 0);
    for (let k = 1; k <= 9; k++) await r.save(`g${k}`, k);
    const more = await keepWritingUntilDeadLetter(r);
    expect([...db.rows.keys()].sort()).toEqual([...['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8', 'g9'], ...more].sort());
    // p failed 8 times: first before any other write had succeeded, then 7 times, of which 3
    // counted: those with a successful write started between the failure and the one before it
    expect(dead.map((d) => [d.key, d.attempts, (d.error as Error).message])).toEqual([['cachekit:Repo.save:p', 8, 'constraint violated by p']]);
    expect(more.length).toBe(6);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 10 + more.length, flushed: 9 + more.length, deadLetters: 1 });
  });

  it('a lone write failing after the last success is an outage, not poison: the database down for an hour right after another write succeeded loses nothing', async () => {
    // the campaign's seed 2109266741: the write of A was queued, B's write succeeded, then the
    // database went down; A failed alone ever after (nothing else was written)
    const r = repo({ retry: { attempts: 3, backoffMs: 100 } });
    await r.save('b', 2);
    await r.save('a', 1);
    db.downAfter = 1; // b's write succeeds (after a was queued), then the database is down
    await scheduler.advance(3_600_000);
    expect(db.calls.slice(0, 2)).toEqual([['b'], ['a']]);
    expect(dead).toEqual([]);
    expect(db.calls.length).toBeGreaterThan(200);
    db.down = false;
    await scheduler.runAll();
    expect(Object.fromEntries(db.rows)).toEqual({ a: 1, b: 2 });
    expect(dead).toEqual([]);
  });

  it('an outage with a poison write inside: nothing is dead-lettered while everything fails; once the database is back, the good writes land and only the poison one is dead-lettered', async () => {
    const r = repo({ batchWith: 'saveMany', retry: { attempts: 3, backoffMs: 100 } });
    db.down = true;
    db.poison.add('p');
    for (let k = 1; k <= 5; k++) await r.save(`g${k}`, k);
    await r.save('p', 0);
    for (let k = 6; k <= 9; k++) await r.save(`g${k}`, k);
    await scheduler.advance(3_600_000);
    expect(dead).toEqual([]);
    db.down = false;
    const more = await keepWritingUntilDeadLetter(r);
    expect([...db.rows.keys()].sort()).toEqual([...['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8', 'g9'], ...more].sort());
    expect(dead.map((d) => [d.key, (d.error as Error).message])).toEqual([['cachekit:Repo.save:p', 'constraint violated by p']]);
    // p shares each batch with the newest good write (both fail, so nothing counts) until the
    // split leaves p alone between successes: 40 seconds of traffic
    expect(more.length).toBe(40);
  });

  it("retry.onOutage: 'dead-letter' counts every failure: an outage longer than the attempts dead-letters the writes", async () => {
    const r = repo({ retry: { attempts: 2, backoffMs: 100, onOutage: 'dead-letter' } });
    db.down = true;
    await r.save('a', 1);
    await scheduler.runAll();
    expect(dead.map((d) => [d.key, d.attempts])).toEqual([['cachekit:Repo.save:a', 2]]);
  });

  it('close() during an outage settles: the waiting retries run at once, then retry.attempts more; what still fails is dead-lettered (memory mode) and reported', async () => {
    const r = repo({ retry: { attempts: 2, backoffMs: 100 } });
    db.down = true;
    await r.save('a', 1);
    await r.save('b', 2);
    await scheduler.advance(3_600_000);
    expect(dead).toEqual([]);
    const closing = runtime.close();
    await scheduler.runAll();
    await closing;
    expect(dead.map((d) => d.key).sort()).toEqual(['cachekit:Repo.save:a', 'cachekit:Repo.save:b']);
    expect(reported.map((x) => [(x.error as Error).message, x.context.operation])).toEqual([
      ['Repo.save: 2 writes still failed at close (the database kept failing); dead-lettered', 'shutdown'],
    ]);
    expect(runtime.writeBehind?.size).toBe(0);
  });
});
