/**
 * runtime.inspect() and the `load` event (the sources of metrics exporters and dashboards): exact
 * labels, counters, write-behind queue state (pending, in flight, the oldest write's age on the
 * runtime's clock) and store states, after a known workload; never a key or a value.
 */
import { Cacheable, CacheableMany, Invalidate, WriteBehind, configureCache, ManualScheduler, MemoryStore, RedisStore, TieredStore, type CacheEvents, type CacheRuntime } from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

const url = process.env.REDIS_URL!;
let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('runtime.inspect()', () => {
  it('labels, counters, a write-behind queue held open, and the stores', async () => {
    const clock = new ManualScheduler({ now: Date.now() });
    const tiered = new TieredStore({ l1: new MemoryStore({ clock }), l2: new RedisStore({ connection: url }) });
    runtime = configureCache({ store: new MemoryStore({ clock }), stores: { shared: tiered }, scheduler: clock, prefix: `ins-${Math.random().toString(36).slice(2)}` });
    await until(() => tiered.bus!.isSubscribed, 'the bus is subscribed');
    const gate = new Gate();
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        return `row-${id}`;
      }
      @CacheableMany({ namespace: 'product', key: (id: string) => id, store: 'shared' })
      async getMany(ids: string[]): Promise<string[]> {
        return ids.map((id) => `row-${id}`);
      }
      @Invalidate({ namespace: 'product', key: (id: string) => id })
      async remove(_id: string): Promise<void> {}
      @WriteBehind({ namespace: 'views', key: (id: string) => id, batch: { size: 1, intervalMs: 1_000 } })
      async view(_id: string, _count: number): Promise<void> {
        await gate.opened;
      }
    }
    const c = new Catalog();
    await c.get('a');
    await c.get('a');
    await c.getMany(['a', 'b']);
    await c.remove('a');
    await c.view('p', 1);
    // @WriteBehind runs on the runtime's clock: its batch timer fires when the clock moves
    await clock.advance(1_000);
    await until(() => runtime!.inspect().writeBehind[0]?.inFlight === 1, 'the write is in flight');
    await c.view('q', 1);
    await clock.advance(5_000);
    const snapshot = runtime.inspect();
    expect(snapshot.methods.map((m) => [m.method, m.labels])).toEqual([
      ['Catalog.get', { kind: 'Cacheable', namespace: 'product', store: 'memory' }],
      ['Catalog.getMany', { kind: 'CacheableMany', namespace: 'product', store: 'tiered' }],
      ['Catalog.remove', { kind: 'Invalidate', namespace: 'product', store: 'memory' }],
      ['Catalog.view', { kind: 'WriteBehind', namespace: 'views', store: 'memory' }],
    ]);
    expect(snapshot.methods[0]!.stats).toMatchObject({ hits: 1, misses: 1, sets: 1 });
    expect(snapshot.methods[1]!.stats).toMatchObject({ hits: 0, misses: 2, sets: 2 });
    expect(snapshot.methods[2]!.stats).toMatchObject({ invalidations: 1 });
    expect(snapshot.writeBehind).toEqual([{ method: 'Catalog.view', pending: 2, inFlight: 1, oldestPendingAgeMs: 6_000, retries: 0, deadLetters: 0 }]);
    expect(snapshot.stores).toEqual([
      { name: 'memory', entries: 3 },
      { name: 'tiered', entries: 2, breaker: 'closed', versionsTracked: expect.any(Boolean), pendingOperations: 0, busSubscribed: true },
    ]);
    // labels and counts only: no key or value anywhere
    expect(JSON.stringify(snapshot)).not.toMatch(/row-|"a"|"b"|"p"|"q"/);
    gate.open();
    const flushed = runtime.flush();
    await clock.runAll();
    await flushed;
    expect(runtime.inspect().writeBehind).toEqual([{ method: 'Catalog.view', pending: 0, inFlight: 0, oldestPendingAgeMs: 0, retries: 0, deadLetters: 0 }]);
  });
});

describe('the load event', () => {
  it('announces each loader with its labels, the number of ids, its outcome and a duration', async () => {
    runtime = configureCache({ prefix: `ld-${Math.random().toString(36).slice(2)}` });
    const loads: Array<CacheEvents['load']> = [];
    runtime.on('load', (e) => loads.push(e));
    let fail = false;
    class Catalog {
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        if (fail) throw new Error('down');
        return id;
      }
      @CacheableMany({ namespace: 'product', key: (id: string) => id })
      async getMany(ids: string[]): Promise<string[]> {
        return ids;
      }
    }
    const c = new Catalog();
    await c.get('a');
    await c.get('a');
    fail = true;
    await expect(c.get('b')).rejects.toThrow('down');
    await c.getMany(['a', 'c', 'd']);
    expect(loads.map(({ durationMs, ...rest }) => [rest, durationMs >= 0])).toEqual([
      [{ method: 'Catalog.get', namespace: 'product', store: 'memory', keys: 1, background: false, outcome: 'ok' }, true],
      [{ method: 'Catalog.get', namespace: 'product', store: 'memory', keys: 1, background: false, outcome: 'error' }, true],
      [{ method: 'Catalog.getMany', namespace: 'product', store: 'memory', keys: 2, background: false, outcome: 'ok' }, true],
    ]);
  });
});
