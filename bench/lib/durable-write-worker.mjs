// A child process of the scaling suite (bench/scaling.mjs) with one durable @WriteBehind method
// (Redis Stream journal on a RedisStore) whose "database" is either held shut (its batch call
// never returns, so every accepted write stays in the journal) or an in-memory sink.
// Lines on stdout are the protocol with the parent; each starts with a word.
//
// argv: <mode> <redis port> <prefix> <count> [<maxPending>] [<first key number>]
// - hold:    accepts <count> writes (keys k0..k<count-1>, 100 in flight) with the database held
//            shut, prints `accepted <count> <ms>`, then waits to be SIGKILLed.
// - recover: the database is a Map; calls recoverWriteBehind at startup and waits until <count>
//            distinct keys arrived, prints `flushed <ms since process start> <maxRSS KiB>
//            <arrivals> <distinct> <wrong values> <claimed by the first pass> <errors>`, closes
//            the runtime (acknowledgements drain) and prints `closed`.
// - accept:  the database is held shut; after 2,000 warm-up writes prints `ready`, then for each
//            `go` line on stdin accepts <count> more writes (100 in flight) and prints
//            `run <start> <end>` (epoch ms, sub-millisecond); `exit` ends the process.
import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { cachekit } from './cachekit.mjs';
import { decorateMethod } from './apply-decorators.mjs';

const { configureCache, getCacheRuntime, recoverWriteBehind, RedisStore, WriteBehind } = cachekit;

const [mode, port, prefix, countText, maxPendingText, firstKeyText] = process.argv.slice(2);
const count = Number(countText);
const IN_FLIGHT = 100;
const BATCH = 1_000;
const out = (line) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();

let errors = 0;
let firstError;
configureCache({
  store: new RedisStore({ connection: { host: '127.0.0.1', port: Number(port) } }),
  prefix,
  ttl: '10m',
  onError: (error) => {
    errors++;
    firstError ??= error;
  },
});

/** The database: held shut (`hold`, `accept`), or a Map of what arrived (`recover`). */
const sink = new Map();
let arrivals = 0;
let wrong = 0;
let allArrived;
const arrived = new Promise((resolve) => (allArrived = resolve));
const heldShut = mode !== 'recover';

class Counters {
  async put(_key, _value) {
    throw new Error('written in batches by putMany');
  }
  async putMany(items) {
    if (heldShut) return new Promise(() => undefined); // the database never answers
    for (const [key, value] of items) {
      arrivals++;
      if (key !== `k${value}`) wrong++;
      sink.set(key, value);
    }
    if (sink.size >= count) allArrived();
  }
}
decorateMethod(
  Counters,
  'put',
  WriteBehind({
    durable: true,
    key: (k) => k,
    batchWith: 'putMany',
    batch: { size: BATCH, intervalMs: 50 },
    maxPending: Number(maxPendingText || count + 10_000),
    // The journal's timers at their defaults: the heartbeat (every claimIdleMs / 3) re-claims the
    // held entries in pages of 500, the claim poll (every claimIntervalMs) looks at 10 pages of
    // 100 at most, so neither blocks Redis with hundreds of thousands held.
  }),
);
const counters = new Counters();

/** Accepts writes of keys k<from>..k<from+n-1>, IN_FLIGHT at a time. */
async function acceptWrites(from, n) {
  let next = from;
  const end = from + n;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < end) {
        const i = next++;
        await counters.put(`k${i}`, i);
      }
    }),
  );
}

if (mode === 'hold') {
  const started = performance.now();
  await acceptWrites(0, count);
  out(`accepted ${count} ${(performance.now() - started).toFixed(1)}`);
  await new Promise(() => undefined); // SIGKILLed here, every write journaled and none written
} else if (mode === 'recover') {
  // a write that never arrives must fail the run, not hang it: no progress for a minute ends it
  let seen = -1;
  const watchdog = setInterval(() => {
    if (arrivals !== seen) {
      seen = arrivals;
      return;
    }
    process.stderr.write(`durable-write-worker: no write arrived for a minute; ${sink.size} distinct of ${count} (${arrivals} arrivals), ${errors} errors${firstError ? `, the first: ${firstError?.stack ?? firstError}` : ''}\n`);
    process.exit(3);
  }, 60_000);
  const recovery = await recoverWriteBehind(counters);
  await arrived;
  clearInterval(watchdog);
  const ms = performance.now();
  out(`flushed ${ms.toFixed(1)} ${process.resourceUsage().maxRSS} ${arrivals} ${sink.size} ${wrong} ${recovery.claimed} ${errors}`);
  if (firstError) process.stderr.write(`durable-write-worker: ${errors} errors reported, the first: ${firstError?.stack ?? firstError}\n`);
  await getCacheRuntime().close();
  out(`closed ${arrivals}`);
} else if (mode === 'accept') {
  let from = Number(firstKeyText ?? 0); // writer processes of one run write distinct keys
  await acceptWrites(from, 2_000); // warm-up: the stream, the group, the JIT
  from += 2_000;
  out('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'exit') break;
    if (line !== 'go') continue;
    const start = now();
    await acceptWrites(from, count);
    from += count;
    out(`run ${start.toFixed(3)} ${now().toFixed(3)}`);
  }
  if (errors) process.stderr.write(`durable-write-worker: ${errors} errors reported, the first: ${firstError?.stack ?? firstError}\n`);
  process.exit(0); // the database stays shut: nothing would ever flush
} else {
  process.stderr.write(`durable-write-worker: unknown mode '${mode}'\n`);
  process.exit(2);
}
