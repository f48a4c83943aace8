import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { configureCache, ManualScheduler, recoverWriteBehind, RedisStore, WriteBehind, type CacheRuntime, type WriteBehindRegistry } from '../../src/index.js';
import { AUTOCLAIM_PAGE, AUTOCLAIM_PAGES_PER_PASS, HEARTBEAT_PAGE } from '../../src/write-behind/redis-stream-journal.js';
import { redisUrl } from '../helpers/redis.js';
import { sleep, until } from '../helpers/waiting.js';

/**
 * The journal's background work is paged: the heartbeat refreshes the entries this process
 * holds HEARTBEAT_PAGE per command (all of them, however many), and the periodic claim poll
 * examines a bounded part of the group's pending list per pass. A runtime whose batch never
 * comes due (a manual scheduler, a huge batch) holds every write it accepts in the journal.
 */
describe('durable write-behind journal: paged heartbeat and bounded claim poll', () => {
  let runtimes: CacheRuntime[];
  let clients: Redis[];
  let detached: WriteBehindRegistry[];

  beforeEach(() => {
    runtimes = [];
    clients = [];
    detached = [];
  });
  const closeAll = async () => {
    for (const r of runtimes.splice(0)) await r.close().catch(() => undefined);
    for (const registry of detached.splice(0)) await registry.close().catch(() => undefined);
    for (const c of clients.splice(0)) c.disconnect();
  };
  afterEach(closeAll);

  /**
   * A runtime of its own (another "process"). The runtime it replaces keeps holding its writes:
   * its queue is detached first, so the replacement does not flush it (configureCache would),
   * and closed after the test.
   */
  const runtimeOn = (url: string, prefix: string) => {
    const previous = runtimes.at(-1);
    if (previous?.writeBehind !== undefined) {
      detached.push(previous.writeBehind);
      previous.writeBehind = undefined;
    }
    const c = new Redis(url);
    clients.push(c);
    const r = configureCache({ store: new RedisStore({ client: c }), prefix });
    runtimes.push(r);
    return r;
  };

  /** A class whose writes stay held: its batch only comes due after an hour of its manual scheduler; liveness every 150 s. */
  function holdingClass(scheduler: ManualScheduler, stream: string, journal: { claimIdleMs: number; claimIntervalMs: number }) {
    class Holder {
      @WriteBehind({
        durable: true, key: (id: string) => id, scheduler, maxPending: 200_000, batch: { size: 1_000_000, intervalMs: 3_600_000 },
        journal: { stream, leaseMs: 600_000, ...journal },
      })
      async save(_id: string, _v: number) {}
    }
    return Holder;
  }

  /**
   * Waits until the journal timer that just fired (the soonest one: the others come due minutes
   * later) has run to its end: it then sets itself again, `periodMs` from now.
   */
  const timerBack = (scheduler: ManualScheduler, periodMs: number) =>
    until(() => scheduler.nextDue === scheduler.now() + periodMs, 'the journal timer that fired ran to its end', 20_000);

  type Pending = Array<[string, string, number, number]>;

  it('one heartbeat resets the idle time of every held entry, more than one page of them', async () => {
    const url = redisUrl();
    const redis = new Redis(url);
    clients.push(redis);
    const stream = `paging-${randomBytes(4).toString('hex')}`;
    const scheduler = new ManualScheduler();
    runtimeOn(url, stream);
    const Holder = holdingClass(scheduler, stream, { claimIdleMs: 30_000, claimIntervalMs: 3_600_000 });
    const held = 5 * HEARTBEAT_PAGE; // 2,500
    const h = new Holder();
    await Promise.all(Array.from({ length: held }, (_, i) => h.save(`k${i}`, i)));

    // age every held entry by ten minutes, keeping its owner (XCLAIM to itself with IDLE)
    const pending = (await redis.xpending(stream, 'cachekit', '-', '+', held * 2)) as Pending;
    expect(pending.length).toBe(held);
    const owner = pending[0]![1];
    expect(new Set(pending.map((p) => p[1]))).toEqual(new Set([owner]));
    await redis.call('XCLAIM', stream, 'cachekit', owner, 0, ...pending.map((p) => p[0]), 'IDLE', 600_000, 'JUSTID');
    const aged = (await redis.xpending(stream, 'cachekit', '-', '+', held * 2)) as Pending;
    expect(aged.every((p) => p[2] >= 600_000)).toBe(true);

    await scheduler.advance(10_000); // claimIdleMs / 3: one heartbeat
    await timerBack(scheduler, 10_000);

    const after = (await redis.xpending(stream, 'cachekit', '-', '+', held * 2)) as Pending;
    expect(after.length).toBe(held);
    expect(after.filter((p) => p[1] !== owner)).toEqual([]);
    expect(after.filter((p) => p[2] >= 60_000)).toEqual([]);
    // another consumer finds nothing idle for a minute
    const probe = (await redis.xautoclaim(stream, 'cachekit', 'probe', 60_000, '0-0', 'COUNT', held * 2)) as [string, unknown[], unknown[]];
    expect(probe[1]).toEqual([]);
    expect(probe[0]).toBe('0-0');
  });

  it('with 100,000 held entries, no heartbeat or claim command runs 50 ms; a poll pass examines a bounded part, an explicit recovery all', async () => {
    const server = await startRedisServer();
    try {
      const url = `redis://127.0.0.1:${server.port}`;
      const redis = new Redis(url);
      clients.push(redis);
      const stream = 'paging';
      const held = 100_000;
      const schedulerA = new ManualScheduler();
      runtimeOn(url, 'a');
      const HolderA = holdingClass(schedulerA, stream, { claimIdleMs: 30_000, claimIntervalMs: 3_600_000 });
      const a = new HolderA();
      for (let at = 0; at < held; at += 10_000) await Promise.all(Array.from({ length: 10_000 }, (_, i) => a.save(`k${at + i}`, i)));
      expect(((await redis.xpending(stream, 'cachekit')) as [number])[0]).toBe(held);
      const ownerA = ((await redis.xpending(stream, 'cachekit')) as [number, string, string, Array<[string, string]>])[3][0]![0];

      await redis.config('SET', 'slowlog-log-slower-than', '50000');
      await redis.slowlog('RESET');
      await redis.config('RESETSTAT');

      // A's heartbeat: every held entry refreshed, in commands of HEARTBEAT_PAGE
      await schedulerA.advance(10_000);
      await timerBack(schedulerA, 10_000);
      expect(await slowCommands(redis)).toEqual([]);
      const evals = await commandCalls(redis, 'evalsha');
      expect(evals).toBeGreaterThanOrEqual(held / HEARTBEAT_PAGE);

      // B, another process on the same stream, holds nothing: its start is an explicit pass and sweeps the whole pending list
      const schedulerB = new ManualScheduler();
      runtimeOn(url, 'b');
      const HolderB = holdingClass(schedulerB, stream, { claimIdleMs: 3_600_000, claimIntervalMs: 1000 });
      const examinedPerCall = 10 * AUTOCLAIM_PAGE;
      expect((await recoverWriteBehind(new HolderB(), runtimes.at(-1)!)).claimed).toBe(0);
      expect(await commandCalls(redis, 'xautoclaim')).toBe(held / examinedPerCall);

      // B's claim poll: each pass examines AUTOCLAIM_PAGES_PER_PASS pages and goes on from there the next time
      const passes = held / (examinedPerCall * AUTOCLAIM_PAGES_PER_PASS);
      for (let pass = 1; pass <= passes; pass++) {
        await schedulerB.advance(1000);
        await timerBack(schedulerB, 1000);
        expect(await commandCalls(redis, 'xautoclaim')).toBe(held / examinedPerCall + pass * AUTOCLAIM_PAGES_PER_PASS);
      }

      expect(await slowCommands(redis)).toEqual([]);
      // B claimed none: A still holds every entry
      const holders = ((await redis.xpending(stream, 'cachekit')) as [number, string, string, Array<[string, string]>])[3];
      expect(holders).toEqual([[ownerA, String(held)]]);
    } finally {
      await closeAll();
      server.stop();
    }
  }, 120_000);
});

/** The commands in the slow log (name and microseconds), but the test's own CONFIG and SLOWLOG. */
async function slowCommands(redis: Redis): Promise<Array<[string, number]>> {
  const log = (await redis.slowlog('GET', 128)) as Array<[number, number, number, Array<string | Buffer>]>;
  return log.map((e): [string, number] => [String(e[3][0]).toLowerCase(), e[2]]).filter(([name]) => name !== 'config' && name !== 'slowlog');
}

/** How many times Redis ran `command` since the last CONFIG RESETSTAT. */
async function commandCalls(redis: Redis, command: string): Promise<number> {
  const info = await redis.info('commandstats');
  const match = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(info);
  return match ? Number(match[1]) : 0;
}

/**
 * A redis-server of this test alone (its command statistics and slow log count only this
 * test's commands), on a free loopback port; stop() kills it by its pid.
 */
async function startRedisServer(): Promise<{ port: number; stop(): void }> {
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), 'cachekit-paging-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const stop = () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const ping = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await ping.connect();
        await ping.ping();
        break;
      } catch (error) {
        ping.disconnect();
        if (attempt >= 200) throw error;
        await sleep(50); // the server is starting: try again
      }
    }
  } catch (error) {
    stop();
    throw error;
  } finally {
    ping.disconnect();
  }
  return { port, stop };
}
