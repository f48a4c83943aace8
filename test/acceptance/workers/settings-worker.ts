// An application process written against the public API only ('cachekit'), as a user writes it.
// The "database" is a Redis hash `<prefix>:db` (HSET: an idempotent upsert).
// argv: <mode> <redis url> <prefix> [key=value ...]
// - write:    durable writes of each key=value (batch interval an hour), prints `accepted <n>`, waits to be SIGKILLed
// - restart:  a restarted process with the same class and default options; it only makes one unrelated durable
//             call (`probe=1`), prints `called`, then waits until told (SIGUSR2) to close; prints `closed`, exits
// - recover:  `await recoverWriteBehind(instance)` at startup, prints `first <json>`, awaits settled(), prints
//             `settled <json>`, closes, exits on its own
// - pending:  (ACC_SHORT_TTL=1: the entry's ttl is 50 ms) a non-durable write-behind of each key=value (interval an hour), prints `accepted <n>`; on SIGUSR2
//             flushes, prints `flushed`, closes and exits
// - midflush: like write, then flushes; the method blocks before committing (prints `in-method <k>`), to be SIGKILLed
// - drain:    non-durable writes with drainOnSignal: true, prints `accepted <n>`, waits for SIGTERM
// - pausedclose: one durable call, prints `ready`; on SIGUSR2 (the test paused Redis meanwhile) calls close()
//             and prints `closed <ok|error>`; the process must then exit on its own
import { Redis } from 'ioredis';
import { Cacheable, configureCache, recoverWriteBehind, RedisStore, TieredStore, MemoryStore, WriteBehind } from 'cachekit';

const [mode, redisUrl, prefix, ...pairs] = process.argv.slice(2) as [string, string, string, ...string[]];
const store = new RedisStore({ connection: redisUrl });
const tiered = new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: redisUrl }) });
const runtime = configureCache({ store, stores: { tiered }, prefix, onError: () => undefined });
const db = new Redis(redisUrl, { lazyConnect: false });
const local = new Map<string, string>();
const out = (line: string) => process.stdout.write(`${line}\n`);

class Settings {
  @WriteBehind({ durable: true, namespace: 'settings', key: (k: string) => k, batch: { size: 10_000, intervalMs: 3_600_000 } })
  async put(k: string, v: string): Promise<void> {
    if (mode === 'midflush') {
      out(`in-method ${k}`);
      await new Promise(() => undefined); // SIGKILLed here: the method started, nothing committed
    }
    await db.hset(`${prefix}:db`, k, v);
  }

  @Cacheable({ store: 'tiered' })
  async read(k: string): Promise<string> {
    return k;
  }

  /** Durable, into this process's memory (a database that stays up while Redis is paused). */
  @WriteBehind({ durable: true, namespace: 'local', key: (k: string) => k, batch: { size: 10_000, intervalMs: 3_600_000 } })
  async putLocal(k: string, v: string): Promise<void> {
    local.set(k, v);
  }

  @WriteBehind({ namespace: 'drained', key: (k: string) => k, drainOnSignal: true, batch: { size: 10_000, intervalMs: 3_600_000 } })
  async putDrained(k: string, v: string): Promise<void> {
    await db.hset(`${prefix}:db`, k, v);
  }

  @WriteBehind({ namespace: 'settings', key: (k: string) => k, ttl: 50, batch: { size: 10_000, intervalMs: 3_600_000 } })
  async putShort(k: string, v: string): Promise<void> {
    await db.hset(`${prefix}:db`, k, v);
  }

  @WriteBehind({ namespace: 'settings', key: (k: string) => k, batch: { size: 10_000, intervalMs: 3_600_000 } })
  async putLater(k: string, v: string): Promise<void> {
    await db.hset(`${prefix}:db`, k, v);
  }
}

const settings = new Settings();
const signalled = () => new Promise<void>((resolve) => process.once('SIGUSR2', () => resolve()));

async function main() {
  if (mode === 'write') {
    for (const pair of pairs) {
      const [k, v] = pair.split('=') as [string, string];
      await settings.put(k, v);
    }
    out(`accepted ${pairs.length}`);
    await new Promise(() => undefined);
  } else if (mode === 'restart') {
    const told = signalled();
    await settings.put('probe', '1');
    out('called');
    await told;
  } else if (mode === 'recover') {
    const recovery = await recoverWriteBehind(settings);
    const { methods: _m, settled: _s, ...first } = recovery;
    out(`first ${JSON.stringify(first)}`);
    const { methods: _m2, settled: _s2, ...done } = await recovery.settled();
    out(`settled ${JSON.stringify(done)}`);
  } else if (mode === 'pending') {
    const told = signalled();
    for (const pair of pairs) {
      const [k, v] = pair.split('=') as [string, string];
      await (process.env.ACC_SHORT_TTL ? settings.putShort(k, v) : settings.putLater(k, v));
    }
    out(`accepted ${pairs.length}`);
    await told;
    await runtime.flush();
    out('flushed');
  } else if (mode === 'midflush') {
    for (const pair of pairs) {
      const [k, v] = pair.split('=') as [string, string];
      await settings.put(k, v);
    }
    out(`accepted ${pairs.length}`);
    void runtime.flush();
    await new Promise(() => undefined);
  } else if (mode === 'drain') {
    for (const pair of pairs) {
      const [k, v] = pair.split('=') as [string, string];
      await settings.putDrained(k, v);
    }
    out(`accepted ${pairs.length}`);
    await new Promise(() => undefined); // SIGTERM ends it, after drainOnSignal flushed
  } else if (mode === 'pausedclose') {
    const told = signalled();
    await settings.putLocal('k', 'v');
    await settings.read('t');
    out('ready');
    await told;
    const ok = await runtime.close().then(
      () => 'ok',
      () => 'error',
    );
    out(`closed ${ok} ${local.get('k')}`);
    db.disconnect();
    return;
  }
  await runtime.close();
  out('closed');
  db.disconnect();
}

void main();
