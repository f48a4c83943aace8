// TieredStore's bus delay, measured round by round: instance A changes a key (a write, or a
// namespace invalidation), and every other instance records when its bus listener applied A's
// message. Shared by bench/bus-delay.mjs (two instances) and bench/scaling.mjs (2, 4, 8).
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { cachekit } from './cachekit.mjs';

const { MemoryStore, RedisStore, TieredStore } = cachekit;

const NAMESPACE = 'bench#n:ns';
const KEY = 'bench:ns:k';

/** The changes A makes, by kind. */
export const BUS_CHANGES = {
  write: { label: 'write (write-through, populate)', change: (a, i) => a.write(KEY, { v: i, g: i + 1 }, 60_000) },
  bump: { label: 'namespace invalidation (bump)', change: (a) => a.bump([NAMESPACE]) },
};

/** The p-th percentile (0-100) of ascending `sorted`. */
export function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * `n` TieredStores (MemoryStore L1, RedisStore L2 with its own connections, one bus channel) on
 * the Redis at `connection`, once every L1 is active (its bus subscribed).
 */
export async function startTieredInstances(connection, n, channel = 'bench:bus') {
  const stores = Array.from({ length: n }, () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection }), bus: { channel } }));
  while (stores.some((s) => !s.l1Active)) await new Promise((resolve) => setTimeout(resolve, 10));
  return stores;
}

/**
 * Runs `rounds` rounds: every receiver holds a fresh L1 copy of the key, `writer` makes the
 * change of `kind`, and each receiver's bus listener records when it applied the message.
 * @returns per round: `delays` (ms from A's call resolving to each receiver having applied it,
 *   0 when it was applied before the call returned), `last` (the largest of them), and
 *   `staleReads` (event-loop turns during which some receiver's L1 still answered with the old
 *   copy after A's call resolved, polled synchronously as a hit would)
 */
export async function measureBusRounds(writer, receivers, kind, rounds) {
  const { change } = BUS_CHANGES[kind];
  const delays = [];
  const last = [];
  const staleReads = [];
  for (let i = 0; i < rounds; i++) {
    // every receiver holds a fresh L1 copy of the key
    const [n] = await receivers[0].readVersions([NAMESPACE]);
    const entry = { v: -1, g: 10_000_000 + i, n };
    await writer.l2.write(KEY, entry, 60_000);
    for (const r of receivers) r.l1.writeSync(KEY, entry, 60_000);
    const applied = receivers.map(() => 0);
    const heard = receivers.map(
      (r, j) =>
        new Promise((resolve) => {
          const off = r.bus.onInvalidation(() => {
            applied[j] = performance.now();
            off();
            resolve();
          });
        }),
    );
    await change(writer, i);
    const resolved = performance.now();
    let stale = 0;
    while (receivers.some((r, j) => applied[j] === 0 && r.readSync(KEY, [NAMESPACE]) !== undefined)) {
      stale++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(heard);
    const roundDelays = applied.map((t) => Math.max(0, t - resolved));
    delays.push(...roundDelays);
    last.push(Math.max(...roundDelays));
    staleReads.push(stale);
  }
  const ascending = (x, y) => x - y;
  return { delays: delays.sort(ascending), last: last.sort(ascending), staleReads: staleReads.sort(ascending) };
}
