import { configureCache, errors, ManualScheduler, MemoryStore, WriteBehind, type CacheRuntime, type DeadLetter, type ErrorContext } from '../../src/index.js';
import { FakeDatabase } from './fake-database.js';

describe('@WriteBehind: failures (retries, backoff, dead letters, poison items)', () => {
  let scheduler: ManualScheduler;
  let runtime: CacheRuntime;
  let db: FakeDatabase;
  let reported: Array<{ error: unknown; context: ErrorContext }>;
  let events: string[];

  beforeEach(() => {
    scheduler = new ManualScheduler({ random: () => 0.5 });
    reported = [];
    runtime = configureCache({ store: new MemoryStore(), onError: (error, context) => reported.push({ error, context }) });
    db = new FakeDatabase();
    events = [];
    runtime.on('retry', (e) => events.push(`retry ${e.key} #${e.attempt}: ${(e.error as Error).message}`));
    runtime.on('deadLetter', (e) => events.push(`deadLetter ${e.key}: ${(e.error as Error).message}`));
  });
  afterEach(() => runtime.close());

  function repo(options: Parameters<typeof WriteBehind>[0] = {}) {
    const database = db;
    const clock = scheduler;
    class Repo {
      readonly callTimes: number[] = [];
      @WriteBehind({ key: (id: string) => id, scheduler, batch: { size: 100, intervalMs: 1000 }, ...options })
      async save(id: string, v: number) {
        this.callTimes.push(clock.now());
        await database.write([[id, v]]);
      }

      async saveMany(rows: Array<[string, number]>) {
        await database.write(rows);
      }
    }
    return new Repo();
  }

  it('retries with exponential backoff and full jitter, then hands the item and the last error to deadLetter', async () => {
    const dead: DeadLetter[] = [];
    const r = repo({ retry: { attempts: 4, backoffMs: 100, maxBackoffMs: 150, onOutage: 'dead-letter' }, deadLetter: (item) => void dead.push(item) });
    db.down = true;
    await r.save('a', 7);
    await scheduler.runAll();
    // random() = 0.5: delays 0.5 * min(150, 100 * 2^(n-1)) = 50, 75, 75
    expect(r.callTimes).toEqual([1000, 1050, 1125, 1200]);
    expect(dead).toEqual([{ method: 'Repo.save', key: 'cachekit:Repo.save:a', args: ['a', 7], attempts: 4, error: new Error('database is down') }]);
    expect(events).toEqual([
      'retry cachekit:Repo.save:a #1: database is down',
      'retry cachekit:Repo.save:a #2: database is down',
      'retry cachekit:Repo.save:a #3: database is down',
      'deadLetter cachekit:Repo.save:a: database is down',
    ]);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 1, flushed: 0, retries: 3, deadLetters: 1, errors: 0 });
    expect(reported).toEqual([]);
    expect(runtime.writeBehind?.size).toBe(0);
    await runtime.flush();
  });

  it('draws each retry delay uniformly below the exponential cap', async () => {
    const draws = [0, 0.999, 0.25];
    const jittered = new ManualScheduler({ random: () => draws.shift()! });
    scheduler = jittered;
    const r = repo({ retry: { attempts: 4, backoffMs: 1000, maxBackoffMs: 30_000, onOutage: 'dead-letter' } });
    db.down = true;
    await r.save('a', 1);
    await jittered.runAll();
    // caps 1000, 2000, 4000: draws 0 -> 0, 0.999 -> 1998, 0.25 -> 1000
    expect(r.callTimes).toEqual([1000, 1000, 2998, 3998]);
  });

  it('writes the item once the database is back, within the attempts', async () => {
    const r = repo({ retry: { attempts: 5, backoffMs: 100 } });
    db.down = true;
    await r.save('a', 1);
    await scheduler.advance(1000);
    await scheduler.advance(50);
    expect(db.calls).toEqual([['a'], ['a']]);
    db.down = false;
    await scheduler.runAll();
    expect(db.rows.get('a')).toBe(1);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ flushed: 1, retries: 2, deadLetters: 0 });
  });

  it('splits a failing batch until the poison item is alone; every other item is written', async () => {
    const dead: DeadLetter[] = [];
    const r = repo({ batchWith: 'saveMany', retry: { attempts: 2, backoffMs: 100 }, deadLetter: (item) => void dead.push(item) });
    db.poison.add('k5');
    for (let i = 0; i < 8; i++) await r.save(`k${i}`, i);
    await scheduler.runAll();
    expect(db.calls).toEqual([
      ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7'],
      ['k0', 'k1', 'k2', 'k3'],
      ['k4', 'k5', 'k6', 'k7'],
      ['k4', 'k5'],
      ['k6', 'k7'],
      ['k4'],
      ['k5'],
    ]);
    expect([...db.rows.keys()].sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k6', 'k7']);
    expect(dead.map((d) => [d.key, d.args, d.attempts, (d.error as Error).message])).toEqual([
      ['cachekit:Repo.save:k5', ['k5', 5], 4, 'constraint violated by k5'],
    ]);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ queued: 8, flushed: 7, retries: 14, deadLetters: 1 });
  });

  it('does not hold other keys back while a failing item waits for its retry', async () => {
    const r = repo({ retry: { attempts: 3, backoffMs: 10_000 } });
    db.poison.add('bad');
    await r.save('bad', 0);
    await r.save('good1', 1);
    await scheduler.advance(1000);
    expect(db.calls).toEqual([['bad'], ['good1']]);
    await r.save('good2', 2);
    await scheduler.advance(1000);
    expect(db.calls).toEqual([['bad'], ['good1'], ['good2']]);
    expect([...db.rows.keys()]).toEqual(['good1', 'good2']);
    // traffic goes on: one good write every 10 s until bad is dead-lettered
    let goods = 2;
    while (runtime.stats().methods['Repo.save']!.deadLetters === 0 && goods < 20) {
      await r.save(`good${++goods}`, goods);
      await scheduler.advance(10_000);
    }
    // a failure of bad counts only when a write started after its previous failure succeeded:
    // its first (before any success) did not, then 3 did, with good writes between each
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ flushed: goods, deadLetters: 1, retries: 3 });
    expect(goods).toBe(5);
  });

  it('without a deadLetter handler, reports a WriteBehindFailedError through the error hook', async () => {
    const r = repo({ retry: { attempts: 1, onOutage: 'dead-letter' } });
    db.down = true;
    await r.save('a', 1);
    await scheduler.runAll();
    expect(reported.length).toBe(1);
    const { error, context } = reported[0]!;
    expect(error).toBeInstanceOf(errors.WriteBehindFailedError);
    expect((error as Error).message).toBe("Repo.save: the write of 'cachekit:Repo.save:a' failed 1 attempt; it is dropped (no deadLetter handler)");
    expect((error as Error).cause).toEqual(new Error('database is down'));
    expect(context).toEqual({ operation: 'flush', method: 'Repo.save', key: 'cachekit:Repo.save:a' });
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ deadLetters: 1, errors: 1 });
  });

  it('reports a deadLetter handler that throws, and goes on', async () => {
    const r = repo({
      retry: { attempts: 1, onOutage: 'dead-letter' },
      deadLetter: () => {
        throw new Error('dead-letter table is full');
      },
    });
    db.down = true;
    await r.save('a', 1);
    await r.save('b', 2);
    await scheduler.runAll();
    expect(reported.map((x) => [(x.error as Error).message, ((x.error as Error).cause as Error).message, x.context.operation])).toEqual([
      ["Repo.save: the write of 'cachekit:Repo.save:a' failed 1 attempt and the deadLetter handler threw", 'dead-letter table is full', 'deadLetter'],
      ["Repo.save: the write of 'cachekit:Repo.save:b' failed 1 attempt and the deadLetter handler threw", 'dead-letter table is full', 'deadLetter'],
    ]);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ deadLetters: 2, errors: 2 });
  });

  it('treats a method that throws synchronously like one that rejects', async () => {
    const dead: string[] = [];
    class Repo {
      @WriteBehind({ scheduler, retry: { attempts: 2, backoffMs: 10, onOutage: 'dead-letter' }, deadLetter: (d) => void dead.push((d.error as Error).message) })
      save(_id: string): Promise<void> {
        throw new Error('sync failure');
      }
    }
    await new Repo().save('a');
    await scheduler.runAll();
    await runtime.flush();
    expect(dead).toEqual(['sync failure']);
    expect(runtime.stats().methods['Repo.save']).toMatchObject({ retries: 1, deadLetters: 1 });
  });
});
