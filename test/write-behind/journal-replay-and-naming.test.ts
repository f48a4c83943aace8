import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  CacheDefaults, configureCache, ManualScheduler, recoverWriteBehind, RedisStore, WriteBehind, type CacheRuntime, type DeadLetter, type ErrorContext,
} from '../../src/index.js';

/**
 * The durable journal's name and what a replay does with an entry it cannot queue, on the test
 * run's real redis-server. A process that "dies" here is a runtime closed while its database
 * kept failing: close() leaves its writes in the journal and its consumer is gone, so another
 * runtime takes them over at once (no idle time to wait for).
 */
describe('@WriteBehind durable: journal naming, and replays that cannot be queued', () => {
  let prefix: string;
  let runtimes: CacheRuntime[];
  let redis: Redis;
  let reported: Array<{ error: unknown; context: ErrorContext }>;

  beforeEach(() => {
    prefix = `jn-${randomBytes(4).toString('hex')}`;
    runtimes = [];
    reported = [];
    redis = new Redis(process.env.REDIS_URL!);
  });
  afterEach(async () => {
    for (const r of runtimes) await r.close();
    redis.disconnect();
  });
  const runtime = () => {
    const r = configureCache({ store: new RedisStore({ connection: process.env.REDIS_URL! }), prefix, onError: (error, context) => reported.push({ error, context }) });
    runtimes.push(r);
    return r;
  };

  it('two classes of one name in different namespaces keep separate journals, each replayed into its own method', async () => {
    const written: string[] = [];
    const scheduler = new ManualScheduler();
    const make = (namespace: string) => {
      @CacheDefaults({ namespace })
      class Repo {
        @WriteBehind({ durable: true, key: (k: string) => k, scheduler })
        async save(k: string, v: number): Promise<void> {
          written.push(`${namespace}:${k}=${v}`);
        }
      }
      return new Repo();
    };
    const r = runtime();
    await make('ns1').save('k', 1);
    await make('ns2').save('k', 2);
    expect(await redis.xlen(`${prefix}#wb:{ns1/Repo.save}`)).toBe(1);
    expect(await redis.xlen(`${prefix}#wb:{ns2/Repo.save}`)).toBe(1);
    expect(await redis.exists(`${prefix}#wb:{Repo.save}`)).toBe(0);
    await r.flush();
    expect(written.sort()).toEqual(['ns1:k=1', 'ns2:k=2']);
  });

  it('a replayed entry whose merge throws goes to deadLetter (and is acknowledged); the other entries are replayed', async () => {
    let databaseDown = true;
    let mergeThrows = false;
    const rows = new Map<string, number>();
    const dead: DeadLetter[] = [];
    const scheduler = new ManualScheduler({ random: () => 0.5 });
    class Counters {
      @WriteBehind({
        durable: true,
        key: (k: string) => k,
        scheduler,
        merge: (a: number, b: number) => {
          if (mergeThrows) throw new Error('merge refuses');
          return a + b;
        },
        retry: { attempts: 2, backoffMs: 10 },
        deadLetter: (d) => void dead.push(d),
      })
      async add(k: string, n: number): Promise<void> {
        if (databaseDown) throw new Error('database is down');
        rows.set(k, (rows.get(k) ?? 0) + n);
      }
    }
    // process A: two merged calls of x (two journal entries), the database down until A is gone
    const a = runtime();
    const counters = new Counters();
    await counters.add('x', 1);
    await counters.add('x', 2);
    const closing = a.close();
    await scheduler.runAll();
    await closing;
    expect(reported.map((x) => (x.error as Error).message)).toContainEqual('Counters.add: 1 writes still failed at close (the database kept failing); left in the journal for another process to replay');
    const stream = `${prefix}#wb:{Counters.add}`;
    expect(await redis.xlen(stream)).toBe(2);
    expect(dead).toEqual([]);

    // process B: the database is back, but merging the second entry into the first throws
    databaseDown = false;
    mergeThrows = true;
    const b = runtime();
    const recovery = await recoverWriteBehind(new Counters(), b);
    expect(recovery.claimed).toBe(2);
    await b.flush();
    const done = await recovery.settled();
    expect(done).toMatchObject({ claimed: 2, replayed: 1, superseded: 0, deadLettered: 1, left: 0, pending: 0 });
    expect(dead.map((d) => [d.method, d.key, d.args, d.attempts, (d.error as Error).message.replace(/entry \S+/, 'entry <id>'), ((d.error as Error).cause as Error).message])).toEqual([
      ['Counters.add', `${prefix}:Counters.add:x`, ['x', 2], 0, 'Counters.add: merge threw for journal entry <id>', 'merge refuses'],
    ]);
    expect(Object.fromEntries(rows)).toEqual({ x: 1 });
    await b.close();
    expect(await redis.xlen(stream)).toBe(0);
  });
});
