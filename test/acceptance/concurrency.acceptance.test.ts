/**
 * Outside acceptance: concurrent misses (README @Cacheable: "Concurrent misses of one key in a process
 * run the method once and share its result or its error; a rejected call stores nothing") and
 * "a read that starts after a write never joins a load that started before it" (Consistency), held
 * open with gates, on every store.
 */
import { Cacheable, Invalidate, WriteThrough, configureCache, MemoryStore, RedisStore, TieredStore, type CacheRuntime, type CacheStore } from 'cachekit';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

const url = process.env.REDIS_URL!;
const stores: [string, () => CacheStore][] = [
  ['MemoryStore', () => new MemoryStore()],
  ['RedisStore', () => new RedisStore({ connection: url })],
  ['TieredStore', () => new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) })],
];

describe.each(stores)('%s', (_name, create) => {
  let runtime: CacheRuntime;
  beforeEach(() => {
    runtime = configureCache({ store: create(), prefix: `acc-c-${Math.random().toString(36).slice(2)}` });
  });
  afterEach(async () => {
    await runtime.close();
  });

  function repo() {
    const state = { row: 'v1', calls: 0, gate: undefined as Gate | undefined, entered: undefined as Gate | undefined, fail: false };
    class Repo {
      @Cacheable({ namespace: 'r', key: (k: string) => k })
      async get(k: string): Promise<string> {
        void k;
        state.calls++;
        const value = state.row;
        const gate = state.gate;
        state.entered?.open();
        if (gate) await gate.opened;
        if (state.fail) throw new Error(`load failed ${state.calls}`);
        return value;
      }
      @WriteThrough({ namespace: 'r', key: (k: string) => k })
      async set(k: string, v: string): Promise<string> {
        void k;
        state.row = v;
        return v;
      }
      @Invalidate({ namespace: 'r', key: (k: string) => k })
      async drop(k: string, v: string): Promise<void> {
        void k;
        state.row = v;
      }
    }
    return { r: new Repo(), state };
  }

  it('10 concurrent misses run the method once and share its result', async () => {
    const { r, state } = repo();
    state.gate = new Gate();
    state.entered = new Gate();
    const calls = Array.from({ length: 10 }, () => r.get('k'));
    await state.entered.opened;
    // every call has read the store and missed (a Redis read may still be on the wire when the first load starts)
    await until(() => runtime.stats().misses === 10, 'all 10 calls missed');
    state.gate.open();
    expect(await Promise.all(calls)).toEqual(Array(10).fill('v1'));
    expect(state.calls).toBe(1);
  });

  it('10 concurrent misses share one rejection; nothing is stored, the next call runs the method again', async () => {
    const { r, state } = repo();
    state.gate = new Gate();
    state.entered = new Gate();
    state.fail = true;
    const calls = Array.from({ length: 10 }, () => r.get('k').then(() => 'resolved', (e: Error) => e.message));
    await state.entered.opened;
    // every call has read the store and missed (a Redis read may still be on the wire when the first load starts)
    await until(() => runtime.stats().misses === 10, 'all 10 calls missed');
    state.gate.open();
    expect(await Promise.all(calls)).toEqual(Array(10).fill('load failed 1'));
    expect(state.calls).toBe(1);
    state.fail = false;
    state.gate = undefined;
    expect(await r.get('k')).toBe('v1');
    expect(state.calls).toBe(2);
  });

  it.each(['write-through', 'invalidate'])('a read that starts after a %s resolved never joins the older load still in flight', async (how) => {
    const { r, state } = repo();
    const first = new Gate();
    state.gate = first;
    state.entered = new Gate();
    const old = r.get('k');
    await state.entered.opened;
    state.gate = undefined;
    state.entered = undefined;
    if (how === 'write-through') await r.set('k', 'v2');
    else await r.drop('k', 'v2');
    const fresh = r.get('k');
    expect(await fresh).toBe('v2');
    first.open();
    expect(await old).toBe('v1');
    expect(await r.get('k')).toBe('v2');
  });
});
