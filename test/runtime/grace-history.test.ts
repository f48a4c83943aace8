/**
 * Seeded random histories of grace / fail-safe (issue 15 item 1) on MemoryStore, RedisStore and
 * TieredStore: reads while the database is up or down, write-throughs, removals, expiries and
 * clock moves, one at a time on a ManualScheduler. After every read the whole promise is checked
 * against a model that knows the database and what each key's cache entry may hold:
 *
 * - the database up: a read returns the database's row;
 * - the database down: a read returns the row only if the key's last entry was written by a load
 *   (never removed or overwritten by a write without grace since), its grace has not ended, and
 *   the row is the database's current one; otherwise it rejects with the database's error. A
 *   read within the key's TTL is a hit either way, and a key backing off after a failed reload
 *   (`graceBackoff`) answers its stale row without reloading, the database up or down.
 */
import { Cacheable, Invalidate, WriteThrough, configureCache, ManualScheduler, type CacheRuntime } from '../../src/index.js';
import { timedStoreFactories } from '../helpers/store-factories.js';
import { Prng } from '../campaign/prng.js';

const TTL = 10_000;
const GRACE = 60_000;
const BACKOFF = 5_000;

let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

/** What the model knows of a key's cache entry. */
interface EntryModel {
  /** When the entry's TTL ends (it was written by a load or a write-through at `at - TTL`); undefined: removed or never written. */
  staleAt: number | undefined;
  /** When a failed reload made the key back off until. */
  backoffUntil: number;
}

describe.each(timedStoreFactories())('grace histories on $name', (setup) => {
  it.each([11, 12, 13])('seed %i: 250 operations, every read checked', async (seed) => {
    const prng = new Prng(seed * 7919 + setup.name.length);
    const random = () => prng.next();
    const clock = new ManualScheduler({ now: Date.now() });
    runtime = configureCache({ store: setup.create(clock), prefix: `gh-${seed}-${Math.random().toString(36).slice(2)}`, scheduler: clock });
    const db = new Map<string, number>();
    let down = false;
    const outage = new Error('database down');
    class Rows {
      loads = 0;
      @Cacheable({ namespace: 'row', key: (k: string) => k, ttl: TTL, grace: GRACE, graceBackoff: BACKOFF })
      async read(k: string): Promise<string> {
        this.loads++;
        if (down) throw outage;
        return `${k}@${db.get(k) ?? 0}`;
      }
      // a day: on Redis an entry without times expires on Redis's own clock, not the test's
      @WriteThrough({ namespace: 'row', key: (k: string) => k, ttl: '1d' })
      async write(k: string): Promise<string> {
        db.set(k, (db.get(k) ?? 0) + 1);
        return `${k}@${db.get(k)}`;
      }
      @Invalidate({ namespace: 'row', key: (k: string) => k })
      async change(k: string): Promise<void> {
        db.set(k, (db.get(k) ?? 0) + 1);
      }
      @Invalidate({ namespace: 'row', key: (k: string) => k, mode: 'expire' })
      async expire(_k: string): Promise<void> {}
    }
    const rows = new Rows();
    const keys = ['a', 'b', 'c'];
    const model = new Map<string, EntryModel>(keys.map((k) => [k, { staleAt: undefined, backoffUntil: -Infinity }]));
    // Write-through entries carry no grace (they expire at their TTL and are gone): the model keeps that apart.
    const graceful = new Map<string, boolean>(keys.map((k) => [k, false]));
    const history: string[] = [];
    for (let step = 0; step < 250; step++) {
      const k = keys[Math.floor(random() * keys.length)]!;
      const m = model.get(k)!;
      const roll = random();
      const now = clock.now();
      if (roll < 0.45) {
        const current = `${k}@${db.get(k) ?? 0}`;
        const fresh = m.staleAt !== undefined && now < m.staleAt;
        const withinGrace = m.staleAt !== undefined && graceful.get(k) === true && now >= m.staleAt && now < m.staleAt + GRACE;
        let got: string | Error;
        try {
          got = await rows.read(k);
        } catch (error) {
          got = error as Error;
        }
        history.push(`${now} read ${k} down=${down} -> ${got instanceof Error ? got.message : got}`);
        const where = () => `\n${history.filter((h) => !/ (read|write|change\+remove|expire) /.test(h) || h.includes(` ${k} `)).slice(-25).join('\n')}`;
        if (fresh) {
          if (got !== current) throw new Error(`a fresh entry answered ${String(got)}, not ${current}${where()}`);
        } else if (withinGrace && now < m.backoffUntil) {
          // backing off after a failed reload: the stale entry answers without reloading
          if (got !== current) throw new Error(`backing off, got ${String(got)}, not the stale ${current}${where()}`);
        } else if (!down) {
          if (got !== current) throw new Error(`a reload answered ${String(got)}, not ${current}${where()}`);
          m.staleAt = now + TTL;
          graceful.set(k, true);
        } else if (withinGrace) {
          if (got !== current) throw new Error(`within grace with the database down, got ${String(got)}, not the stale ${current}${where()}`);
          if (now >= m.backoffUntil) m.backoffUntil = now + BACKOFF;
        } else if (got !== outage) {
          throw new Error(`no servable entry with the database down, yet the read answered ${String(got)}${where()}`);
        }
      } else if (roll < 0.55) {
        if (down) continue;
        await rows.write(k);
        history.push(`${now} write ${k} -> ${db.get(k)}`);
        m.staleAt = now + 86_400_000;
        graceful.set(k, false);
      } else if (roll < 0.65) {
        await rows.change(k);
        history.push(`${now} change+remove ${k} -> ${db.get(k)}`);
        m.staleAt = undefined;
      } else if (roll < 0.72) {
        await rows.expire(k);
        history.push(`${now} expire ${k}`);
        // an entry with grace becomes stale now; one without grace (a write-through) is removed
        if (m.staleAt !== undefined && graceful.get(k) === true && now < m.staleAt + GRACE) m.staleAt = Math.min(m.staleAt, now);
        else m.staleAt = undefined;
      } else if (roll < 0.8) {
        down = !down;
        history.push(`${now} database ${down ? 'down' : 'up'}`);
      } else {
        const ms = Math.floor(random() * 3) === 0 ? Math.floor(random() * 40_000) : Math.floor(random() * 8_000);
        await clock.advance(ms);
        history.push(`${now} advance ${ms}`);
      }
    }
  });
});
