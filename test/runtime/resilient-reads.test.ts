/**
 * Resilient reads (issue 15 items 1-4, 6, 7) on MemoryStore, RedisStore and TieredStore against the
 * test run's real redis-server: grace and fail-safe, graceBackoff, Invalidate mode 'expire', soft and
 * hard loader timeouts, refresh-ahead, adaptive TTL and nullTtl, runtime.bypass / refresh, and
 * runtime.cache(). Every time is the ManualScheduler's (the runtime's and the memory store's clock);
 * every race is held open with a Gate. No sleeps.
 */
import { Cacheable, CacheDefaults, Invalidate, WriteThrough, configureCache, errors, ManualScheduler, MemoryStore, type CacheRuntime, type CacheEvents } from '../../src/index.js';
import { timedStoreFactories } from '../helpers/store-factories.js';
import { Gate } from '../helpers/gate.js';
import { settle, until } from '../helpers/waiting.js';

/** Resolves at the next `event` of `rt`. */
const nextEvent = <E extends keyof CacheEvents>(rt: CacheRuntime, event: E): Promise<CacheEvents[E]> =>
  new Promise((resolve) => {
    const off = rt.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
/** Waits until every load of `rt` in flight has settled (its populate included). */
const loadsSettled = (rt: CacheRuntime) => until(() => rt.singleFlight.size === 0, 'every load settled');
/** Waits until the loader's deadline timer is armed (the load began after an asynchronous read). */
const deadlineArmed = (clock: ManualScheduler) => until(() => clock.pendingTimers > 0, 'the deadline timer is armed');

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;


let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});
const prefix = () => `rr-${Math.random().toString(36).slice(2)}`;

/** A loader the test drives: each call takes the next scripted outcome (a value, an error, or a gate to hold it). */
class Loader {
  calls = 0;
  private readonly script: Array<{ value?: string; error?: Error; gate?: Gate }> = [];
  next(outcome: { value?: string; error?: Error; gate?: Gate }): this {
    this.script.push(outcome);
    return this;
  }
  async run(): Promise<string> {
    this.calls++;
    const step = this.script.shift();
    if (step === undefined) throw new Error(`loader called ${this.calls} times, more than scripted`);
    if (step.gate) await step.gate.opened;
    if (step.error) throw step.error;
    return step.value!;
  }
}

describe.each(timedStoreFactories())('resilient reads on $name', (setup) => {
  let clock: ManualScheduler;
  let stale: Array<CacheEvents['stale']>;
  const start = (extra: Parameters<typeof configureCache>[0] = {}) => {
    clock = new ManualScheduler({ now: Date.now() });
    runtime = configureCache({ store: setup.create(clock), prefix: prefix(), scheduler: clock, ...extra });
    stale = [];
    runtime.on('stale', (e) => stale.push(e));
    return runtime;
  };

  describe('grace / fail-safe', () => {
    class Products {
      loader = new Loader();
      @Cacheable({ namespace: 'p', key: (id: string) => id, ttl: '1m', grace: '1h', graceBackoff: '5s' })
      async get(id: string): Promise<string> {
        void id;
        return this.loader.run();
      }
      @Invalidate({ namespace: 'p', key: (id: string) => id })
      async remove(id: string): Promise<void> {
        void id;
      }
      @Invalidate({ namespace: 'p', key: (id: string) => id, mode: 'expire' })
      async expire(id: string): Promise<void> {
        void id;
      }
    }

    it('serves the expired value when its reload fails, then backs off for graceBackoff before reloading again', async () => {
      const rt = start();
      const p = new Products();
      p.loader.next({ value: 'v1' });
      expect(await p.get('a')).toBe('v1');
      await clock.advance(2 * MINUTE);
      const down = new Error('database down');
      p.loader.next({ error: down });
      expect(await p.get('a')).toBe('v1');
      expect(p.loader.calls).toBe(2);
      expect(stale).toEqual([expect.objectContaining({ key: expect.stringContaining('a'), reason: 'error', error: down })]);
      // within graceBackoff: served stale without calling the loader
      await clock.advance(4_000);
      expect(await p.get('a')).toBe('v1');
      expect(p.loader.calls).toBe(2);
      expect(stale[1]!.reason).toBe('backoff');
      // after graceBackoff the reload is tried again; its success replaces the stale value
      await clock.advance(1_001);
      p.loader.next({ value: 'v2' });
      expect(await p.get('a')).toBe('v2');
      expect(await p.get('a')).toBe('v2');
      expect(p.loader.calls).toBe(3);
      expect(rt.stats().methods['Products.get']).toMatchObject({ stale: 2, misses: 3, hits: 1 });
    });

    it('never serves a value past its grace: the failure reaches the caller', async () => {
      start();
      const p = new Products();
      p.loader.next({ value: 'v1' });
      await p.get('a');
      await clock.advance(MINUTE + HOUR + 1);
      p.loader.next({ error: new Error('down') });
      await expect(p.get('a')).rejects.toThrow('down');
      expect(stale).toEqual([]);
    });

    it('a value removed by @Invalidate (mode remove) is never served again, even when the reload fails within grace', async () => {
      start();
      const p = new Products();
      p.loader.next({ value: 'v1' });
      await p.get('a');
      await p.remove('a');
      p.loader.next({ error: new Error('down') });
      await expect(p.get('a')).rejects.toThrow('down');
      await clock.advance(2 * MINUTE);
      p.loader.next({ error: new Error('still down') });
      await expect(p.get('a')).rejects.toThrow('still down');
      expect(stale).toEqual([]);
    });

    it("@Invalidate({ mode: 'expire' }) makes the value stale: reloaded at once, served only when the reload fails", async () => {
      start();
      const p = new Products();
      p.loader.next({ value: 'v1' });
      await p.get('a');
      await p.expire('a');
      p.loader.next({ error: new Error('down') });
      expect(await p.get('a')).toBe('v1');
      expect(stale.map((e) => e.reason)).toEqual(['error']);
      await clock.advance(5_001);
      p.loader.next({ value: 'v2' });
      expect(await p.get('a')).toBe('v2');
    });

    it("mode 'expire' stops a load in flight from storing its older value (the expired entry has a new generation)", async () => {
      start();
      const p = new Products();
      p.loader.next({ value: 'v1' });
      await p.get('a');
      await clock.advance(2 * MINUTE);
      const gate = new Gate();
      p.loader.next({ value: 'old-row', gate });
      const reading = p.get('a');
      await settle();
      await p.expire('a');
      gate.open();
      expect(await reading).toBe('old-row');
      // the load's lease was the generation before the expiry: it stored nothing, so the next read reloads
      p.loader.next({ value: 'v3' });
      expect(await p.get('a')).toBe('v3');
      expect(p.loader.calls).toBe(3);
    });
  });

  describe('loader timeouts', () => {
    class Slow {
      loader = new Loader();
      @Cacheable({ namespace: 's', key: (id: string) => id, ttl: '1m', grace: '1h', timeout: 50 })
      async soft(id: string): Promise<string> {
        void id;
        return this.loader.run();
      }
      @Cacheable({ namespace: 'h', key: (id: string) => id, ttl: '1m', hardTimeout: 2_000 })
      async hard(id: string): Promise<string> {
        void id;
        return this.loader.run();
      }
      @WriteThrough({ namespace: 's', key: (id: string) => id })
      async save(id: string, value: string): Promise<string> {
        void id;
        return value;
      }
    }

    it('soft timeout: the stale value is returned after `timeout`, and the loader stores its result in the background', async () => {
      const rt = start();
      const s = new Slow();
      s.loader.next({ value: 'v1' });
      await s.soft('a');
      await clock.advance(2 * MINUTE);
      const gate = new Gate();
      s.loader.next({ value: 'v2', gate });
      const call = s.soft('a');
      await deadlineArmed(clock);
      await clock.advance(50);
      expect(await call).toBe('v1');
      expect(stale.map((e) => e.reason)).toEqual(['timeout']);
      const stored = nextEvent(rt, 'set');
      gate.open();
      await stored;
      expect(await s.soft('a')).toBe('v2');
      expect(s.loader.calls).toBe(2);
      expect(rt.stats().methods['Slow.soft']).toMatchObject({ timeouts: 1, stale: 1 });
    });

    it('soft timeout: a write that lands while the background load runs wins over its result', async () => {
      const rt = start();
      const s = new Slow();
      s.loader.next({ value: 'v1' });
      await s.soft('a');
      await clock.advance(2 * MINUTE);
      const gate = new Gate();
      s.loader.next({ value: 'row-before-write', gate });
      const call = s.soft('a');
      await deadlineArmed(clock);
      await clock.advance(50);
      expect(await call).toBe('v1');
      await s.save('a', 'written');
      gate.open();
      await loadsSettled(rt);
      expect(await s.soft('a')).toBe('written');
      expect(s.loader.calls).toBe(2);
    });

    it('hard timeout without a stale value rejects with LoaderTimeoutError; the late result is still stored under the lease', async () => {
      const rt = start();
      const s = new Slow();
      const gate = new Gate();
      s.loader.next({ value: 'late', gate });
      const call = s.hard('a');
      const settled = call.then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await deadlineArmed(clock);
      await clock.advance(1_999);
      expect(await Promise.race([settled, Promise.resolve('pending')])).toBe('pending');
      await clock.advance(1);
      const error = await settled;
      expect(error).toBeInstanceOf(errors.LoaderTimeoutError);
      expect((error as Error).message).toContain('Slow.hard');
      const stored = nextEvent(rt, 'set');
      gate.open();
      await stored;
      expect(await s.hard('a')).toBe('late');
      expect(s.loader.calls).toBe(1);
    });

    it('no deadline is armed when the loader answers in time, and its failure still reaches the caller', async () => {
      start();
      const s = new Slow();
      s.loader.next({ error: new Error('boom') });
      await expect(s.hard('a')).rejects.toThrow('boom');
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe('refresh-ahead', () => {
    class Hot {
      loader = new Loader();
      @Cacheable({ namespace: 'hot', key: (id: string) => id, ttl: '10s', refreshAhead: 0.8 })
      async get(id: string): Promise<string> {
        void id;
        return this.loader.run();
      }
      @WriteThrough({ namespace: 'hot', key: (id: string) => id })
      async save(id: string, value: string): Promise<string> {
        void id;
        return value;
      }
    }

    it('a hit after 80% of the TTL serves the current value and starts one background reload', async () => {
      const rt = start();
      const h = new Hot();
      h.loader.next({ value: 'v1' });
      await h.get('k');
      await clock.advance(7_999);
      expect(await h.get('k')).toBe('v1');
      expect(h.loader.calls).toBe(1);
      await clock.advance(1);
      const gate = new Gate();
      h.loader.next({ value: 'v2', gate });
      const hits = await Promise.all([h.get('k'), h.get('k'), h.get('k'), h.get('k')]);
      expect(hits).toEqual(['v1', 'v1', 'v1', 'v1']);
      expect(h.loader.calls).toBe(2);
      const stored = nextEvent(rt, 'set');
      gate.open();
      await stored;
      expect(await h.get('k')).toBe('v2');
      expect(h.loader.calls).toBe(2);
      expect(rt.stats().methods['Hot.get']).toMatchObject({ refreshes: 1 });
    });

    it('is dropped when a write lands first', async () => {
      const rt = start();
      const h = new Hot();
      h.loader.next({ value: 'v1' });
      await h.get('k');
      await clock.advance(8_500);
      const gate = new Gate();
      h.loader.next({ value: 'refreshed-before-write', gate });
      expect(await h.get('k')).toBe('v1');
      await h.save('k', 'written');
      gate.open();
      await loadsSettled(rt);
      expect(await h.get('k')).toBe('written');
    });
  });

  describe('adaptive TTL and nullTtl', () => {
    class Pages {
      loads = 0;
      @Cacheable({ namespace: 'pg', key: (id: string) => id, ttl: (page: { draft: boolean } | null) => (page?.draft ? '10s' : '1h'), nullTtl: '30s', grace: '1m' })
      async get(id: string): Promise<{ draft: boolean } | null> {
        this.loads++;
        return id === 'missing' ? null : { draft: id.startsWith('draft') };
      }
    }

    it('a function ttl sets each entry from its result; null results get nullTtl', async () => {
      start();
      const p = new Pages();
      await p.get('draft-1');
      await p.get('pub-1');
      await p.get('missing');
      expect(p.loads).toBe(3);
      await clock.advance(10_001);
      await p.get('draft-1'); // stale after 10 s: reloaded
      await p.get('pub-1'); // fresh for an hour
      await p.get('missing'); // fresh for 30 s
      expect(p.loads).toBe(4);
      await clock.advance(20_000);
      await p.get('missing');
      await p.get('pub-1');
      expect(p.loads).toBe(5);
    });

    it('a ttl function that throws leaves the result uncached and reports a TypeError', async () => {
      const reported: unknown[] = [];
      start({ onError: (e) => reported.push(e) });
      class Bad {
        loads = 0;
        @Cacheable({ key: (id: string) => id, ttl: () => 'soon' as never })
        async get(id: string): Promise<string> {
          this.loads++;
          return id;
        }
      }
      const b = new Bad();
      expect(await b.get('x')).toBe('x');
      expect(await b.get('x')).toBe('x');
      expect(b.loads).toBe(2);
      expect(reported[0]).toBeInstanceOf(TypeError);
      expect(String((reported[0] as Error).message)).toContain("Bad.get: ttl (returned by the ttl function): expected milliseconds");
      expect(String((reported[0] as Error).message)).toContain("'soon'");
    });
  });

  describe('runtime.bypass and runtime.refresh', () => {
    class Catalog {
      loader = new Loader();
      @Cacheable({ namespace: 'c', key: (id: string) => id })
      async get(id: string): Promise<string> {
        void id;
        return this.loader.run();
      }
    }

    it('bypass runs the method for every read inside (through awaits) and stores nothing', async () => {
      const rt = start();
      const c = new Catalog();
      c.loader.next({ value: 'cached' }).next({ value: 'b1' }).next({ value: 'b2' });
      await c.get('a');
      const inside = await rt.bypass(async () => {
        const first = await c.get('a');
        await settle();
        return [first, await c.get('a')];
      });
      expect(inside).toEqual(['b1', 'b2']);
      expect(await c.get('a')).toBe('cached');
      expect(c.loader.calls).toBe(3);
      expect(rt.stats().methods['Catalog.get']).toMatchObject({ bypasses: 2 });
    });

    it('refresh reloads and stores; reads outside the scope, before and after, are not affected', async () => {
      const rt = start();
      const c = new Catalog();
      c.loader.next({ value: 'old' }).next({ value: 'new' });
      await c.get('a');
      const outside = c.get('a');
      expect(await rt.refresh(() => c.get('a'))).toBe('new');
      expect(await outside).toBe('old');
      expect(await c.get('a')).toBe('new');
      expect(c.loader.calls).toBe(2);
    });
  });

  describe('runtime.cache(namespace)', () => {
    class Products {
      loads = 0;
      @Cacheable({ namespace: 'product', key: (id: string) => id })
      async get(id: string): Promise<string> {
        this.loads++;
        return `loaded-${id}`;
      }
    }

    it('set, get, delete and wrap address the same entries as @Cacheable({ namespace, key: (id) => id })', async () => {
      const rt = start();
      const products = rt.cache<string>('product');
      const p = new Products();
      await products.set('1', 'warmed');
      expect(await p.get('1')).toBe('warmed');
      expect(p.loads).toBe(0);
      expect(await p.get('2')).toBe('loaded-2');
      expect(await products.get('2')).toBe('loaded-2');
      await products.delete('2');
      expect(await products.get('2')).toBeUndefined();
      expect(await p.get('2')).toBe('loaded-2');
      expect(p.loads).toBe(2);
      expect(await products.wrap('1', async () => 'not called')).toBe('warmed');
      expect(await products.wrap('3', async () => 'wrapped')).toBe('wrapped');
      expect(await p.get('3')).toBe('wrapped');
    });

    it('wrap runs its loader once for concurrent callers of a key, and a set that lands meanwhile wins', async () => {
      const rt = start();
      const products = rt.cache<string>('product');
      const gate = new Gate();
      let calls = 0;
      const loader = async () => {
        calls++;
        await gate.opened;
        return 'loaded';
      };
      const all = Promise.all([products.wrap('9', loader), products.wrap('9', loader), products.wrap('9', loader)]);
      await settle();
      await products.set('9', 'set-meanwhile');
      gate.open();
      expect(await all).toEqual(['loaded', 'loaded', 'loaded']);
      expect(calls).toBe(1);
      expect(await products.get('9')).toBe('set-meanwhile');
    });

    it('set with tags: @Invalidate of the tag drops it; set with a ttl expires it', async () => {
      const rt = start();
      class Tagger {
        @Invalidate({ tags: ['sale'] })
        async endSale(): Promise<void> {}
      }
      const products = rt.cache<string>('product');
      await products.set('t', 'on-sale', { tags: ['sale'], ttl: '1h' });
      expect(await products.get('t')).toBe('on-sale');
      await new Tagger().endSale();
      expect(await products.get('t')).toBeUndefined();
    });
  });
});

describe('resilient-read options are checked where they are written', () => {
  it.each([
    [() => Cacheable({ grace: 'soon' as never }), "@Cacheable: grace: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got 'soon'"],
    [() => Cacheable({ refreshAhead: 1.5 }), '@Cacheable: refreshAhead must be a fraction of the TTL, >= 0 and < 1 (0.8 reloads after 80% of it); got 1.5 (number)'],
    [() => Cacheable({ timeout: '5s', hardTimeout: '1s' }), "@Cacheable: timeout ('5s') must not be longer than hardTimeout ('1s')"],
    [() => Cacheable({ nullTtl: -1 }), '@Cacheable: nullTtl: expected milliseconds (a number >= 0)'],
    [() => CacheDefaults({ graceBackoff: {} as never }), '@CacheDefaults: graceBackoff: expected milliseconds'],
    [() => Invalidate({ tags: ['t'], mode: 'expire' }), "@Invalidate: mode 'expire' applies to keys; with tags it cannot"],
    [() => Invalidate({ mode: 'soft' as never }), "@Invalidate: mode must be one of 'remove', 'expire'; got 'soft'"],
    [() => configureCache({ hardTimeout: 'x' as never }), "configureCache: hardTimeout: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got 'x'"],
    [() => configureCache({ scheduler: {} as never }), 'configureCache: scheduler must have now(), setTimer() and clearTimer()'],
  ])('%#: %s', (apply, message) => {
    expect(apply).toThrow(TypeError);
    expect(apply).toThrow(message);
  });

  it('runtime.cache refuses an empty namespace and unknown wrap options', async () => {
    runtime = configureCache({ prefix: prefix() });
    expect(() => runtime!.cache('')).toThrow("runtime.cache: namespace must be a non-empty string; got ''");
    await expect(runtime.cache('p').wrap('k', async () => 1, { namespace: 'x' } as never)).rejects.toThrow(/runtime\.cache\('p'\)\.wrap.*namespace/);
  });
});

describe('options resolve method, then @CacheDefaults, then configureCache', () => {
  it('a class grace serves stale for a method without its own; configureCache grace for a class without one', async () => {
    const clock = new ManualScheduler({ now: Date.now() });
    runtime = configureCache({ store: new MemoryStore({ clock }), scheduler: clock, prefix: prefix(), grace: '1h', ttl: '1m' });
    let fail = false;
    @CacheDefaults({ grace: 0 })
    class NoGrace {
      @Cacheable({ key: (id: string) => id })
      async get(id: string): Promise<string> {
        if (fail) throw new Error('down');
        return id;
      }
    }
    class RuntimeGrace {
      @Cacheable({ key: (id: string) => id })
      async get(id: string): Promise<string> {
        if (fail) throw new Error('down');
        return id;
      }
    }
    const a = new NoGrace();
    const b = new RuntimeGrace();
    await a.get('x');
    await b.get('x');
    await clock.advance(2 * MINUTE);
    fail = true;
    await expect(a.get('x')).rejects.toThrow('down');
    expect(await b.get('x')).toBe('x');
  });
});
