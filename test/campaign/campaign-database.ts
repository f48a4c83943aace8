/**
 * The campaign's database: rows in a Redis that the campaign never faults (the test run's own
 * redis-server), shared by every worker process and outliving their SIGKILL. Each history has
 * its own prefix. Every database operation is one Lua script that first reads the fault switch
 * (`ok`, `fail`: the call throws `DatabaseDownError`, `stall`: it waits until the switch
 * changes), so the orchestrator makes the database fail or stall for every process at once.
 *
 * The same Redis holds the per-key floors of the G1 check: after a write resolves its value
 * is added to the key's floor set, and a read fetches the floors before it starts, so
 * "the write resolved before the read began" is ordered by Redis itself, not by clocks.
 */
import { Redis } from 'ioredis';
import type { Floor } from './history.js';

/** The database failed a call (the orchestrator switched it to `fail`). */
export class DatabaseDownError extends Error {
  readonly code = 'DB_DOWN';
}

/** Fault switch checked by every script: returns an error reply on `fail`, 'STALL' on `stall`. */
const SWITCH = `local s = redis.call('GET', KEYS[1]) if s == 'fail' then return redis.error_reply('DB_DOWN') end if s == 'stall' then return 'STALL' end`;
const READ = `${SWITCH} return redis.call('GET', KEYS[2]) or '0'`;
const INCREMENT = `${SWITCH} return redis.call('INCR', KEYS[2])`;
/** A write-behind write: set the row, record the floor and the applied value, atomically. */
const APPLY = `${SWITCH} redis.call('SET', KEYS[2], ARGV[1]) redis.call('ZADD', KEYS[3], ARGV[1], ARGV[2]) return 'OK'`;
const RAISE = `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) return 1`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One process's handle on the campaign database of one history. */
export class CampaignDatabase {
  readonly client: Redis;

  constructor(
    url: string,
    private readonly prefix: string,
  ) {
    this.client = new Redis(url, { maxRetriesPerRequest: null });
    this.client.defineCommand('dbRead', { numberOfKeys: 2, lua: READ });
    this.client.defineCommand('dbIncrement', { numberOfKeys: 2, lua: INCREMENT });
    this.client.defineCommand('dbApply', { numberOfKeys: 3, lua: APPLY });
    this.client.defineCommand('raiseFloor', { numberOfKeys: 1, lua: RAISE });
  }

  private get switchKey() {
    return `${this.prefix}:switch`;
  }
  private row(ns: string, k: string) {
    return `${this.prefix}:db:${ns}:${k}`;
  }
  private floors(ns: string, k: string) {
    return `${this.prefix}:floor:${ns}:${k}`;
  }
  private localFloors(ns: string, k: string, p: string) {
    return `${this.prefix}:floor-local:${p}:${ns}:${k}`;
  }

  /** Runs a switched script, waiting out a stall. */
  private async switched<T>(run: () => Promise<T>): Promise<T> {
    for (;;) {
      let result: T;
      try {
        result = await run();
      } catch (error) {
        if (String((error as Error).message).includes('DB_DOWN')) throw new DatabaseDownError('database down');
        throw error;
      }
      if (result !== 'STALL') return result;
      await sleep(20);
    }
  }

  /** The row's value (0 if never written). */
  async read(ns: string, k: string): Promise<number> {
    return Number(await this.switched(() => (this.client as any).dbRead(this.switchKey, this.row(ns, k)) as Promise<string>));
  }

  /** Increments the row and returns its new value: a write-through or write-around write. */
  async increment(ns: string, k: string): Promise<number> {
    return Number(await this.switched(() => (this.client as any).dbIncrement(this.switchKey, this.row(ns, k)) as Promise<number>));
  }

  /** Sets the row to `v` (a write-behind write reaching its method) and raises the key's floor. */
  async apply(ns: string, k: string, v: number, floor: Floor): Promise<void> {
    await this.switched(() => (this.client as any).dbApply(this.switchKey, this.row(ns, k), this.floors(ns, k), v, floor.join('|')) as Promise<string>);
  }

  /** A fresh value for a write-behind write of `k` (the test's own counter, never faulted). */
  nextValue(ns: string, k: string): Promise<number> {
    return this.client.incr(`${this.prefix}:seq:${ns}:${k}`);
  }

  /** Raises the key's floor after a write resolved (`l` floors only for `floor[1]`'s own reads). */
  async raise(ns: string, k: string, floor: Floor): Promise<void> {
    const key = floor[3] === 'l' ? this.localFloors(ns, k, floor[1]) : this.floors(ns, k);
    await (this.client as any).raiseFloor(key, floor[0], floor.join('|'));
  }

  /** The floors a read of `k` by process `p` must respect: the 8 highest shared ones and its own highest local one. */
  async floorsFor(ns: string, k: string, p: string): Promise<Floor[]> {
    const results = await this.client
      .pipeline()
      .zrevrange(this.floors(ns, k), 0, 7)
      .zrevrange(this.localFloors(ns, k, p), 0, 0)
      .exec();
    const members = results!.flatMap(([error, value]) => (error ? [] : (value as string[])));
    return members.map((m) => {
      const [v, proc, t, kind] = m.split('|');
      return [Number(v), proc!, Number(t), kind as Floor[3]];
    });
  }

  /** Sets the fault switch: `ok`, `fail` or `stall`. */
  async setSwitch(mode: 'ok' | 'fail' | 'stall'): Promise<void> {
    await this.client.set(this.switchKey, mode);
  }

  /** Every row of namespace `ns`: key -> value. */
  async rows(ns: string): Promise<Map<string, number>> {
    const rows = new Map<string, number>();
    const base = `${this.prefix}:db:${ns}:`;
    for (let cursor = '0'; ; ) {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 500);
      if (keys.length) {
        const values = await this.client.mget(keys);
        keys.forEach((key, i) => rows.set(key.slice(base.length), Number(values[i])));
      }
      if ((cursor = next) === '0') break;
    }
    return rows;
  }

  /** Removes every key of this history. */
  async drop(): Promise<void> {
    for (let cursor = '0'; ; ) {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 500);
      if (keys.length) await this.client.unlink(...keys);
      if ((cursor = next) === '0') break;
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
