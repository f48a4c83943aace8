import 'reflect-metadata';
import { configureCache, MemoryStore, RedisStore, TieredStore, WriteBehind, type WriteBehindOptions } from '../../src/index.js';

describe('option errors name the option path', () => {
  const writeBehind = (options: unknown) => () => WriteBehind(options as WriteBehindOptions);

  it.each([
    [{ retry: 5 }, '@WriteBehind: retry must be an object like { attempts, backoffMs, maxBackoffMs, onOutage }; got 5 (number)'],
    [{ batch: 100 }, '@WriteBehind: batch must be an object like { size, intervalMs }; got 100 (number)'],
    [{ journal: 'x' }, "@WriteBehind: journal must be an object like { stream, group, claimIdleMs, claimIntervalMs, leaseMs }; got 'x'"],
    [{ batch: { interval: 5 } }, "@WriteBehind: unknown option 'batch.interval' (known: batch.size, batch.intervalMs)"],
    [{ retry: { attempt: 3 } }, "@WriteBehind: unknown option 'retry.attempt' (known: retry.attempts, retry.backoffMs, retry.maxBackoffMs, retry.onOutage)"],
    [{ drainOnSignal: { signal: 'SIGTERM' } }, "@WriteBehind: unknown option 'drainOnSignal.signal' (known: drainOnSignal.signals, drainOnSignal.timeoutMs)"],
  ])('%j', (options, message) => {
    expect(writeBehind(options)).toThrow(new TypeError(message));
  });

  it('refuses valueArg beyond the parameters the method declares, when the decorator is applied', () => {
    expect(() => {
      class Views {
        @WriteBehind({ valueArg: 2 })
        async add(id: string, n: number) {
          void id;
          void n;
        }
      }
      return Views;
    }).toThrow(new TypeError("@WriteBehind: valueArg 2 is beyond the parameters of 'add', which declares 2 parameters (indexes 0..1); got 2 (number)"));
    // a default parameter counts, a rest parameter takes any index
    class Ok {
      @WriteBehind({ valueArg: 1 })
      async add(id: string, n = 1) {
        void id;
        void n;
      }

      @WriteBehind({ valueArg: 3 })
      async addAll(...values: number[]) {
        void values;
      }
    }
    expect(typeof new Ok().add).toBe('function');
  });

  it('store constructor errors start with the class name', () => {
    expect(() => new MemoryStore({ maxEntries: 0 })).toThrow(new TypeError('MemoryStore: maxEntries must be an integer >= 1; got 0 (number)'));
    expect(() => new MemoryStore({ maxBytes: -1 })).toThrow(new TypeError('MemoryStore: maxBytes must be an integer >= 1; got -1 (number)'));
    expect(() => new MemoryStore({ sizeOf: 3 as never })).toThrow(new TypeError('MemoryStore: sizeOf must be a function; got 3 (number)'));
    expect(() => new MemoryStore({ maxEntry: 10 } as never)).toThrow(/^MemoryStore: unknown option 'maxEntry' \(known: maxEntries, maxBytes, /);
    expect(() => new MemoryStore(5 as never)).toThrow(new TypeError('MemoryStore: options must be an object; got 5 (number)'));
    const url = process.env.REDIS_URL!;
    expect(() => new RedisStore({ connection: url, breaker: { failureThreshold: 0 } })).toThrow(
      'RedisStore: breaker.failureThreshold: expected an integer >= 1; got 0 (number)',
    );
    expect(() => new RedisStore({ connection: url, breaker: { threshold: 1 } as never })).toThrow(
      new TypeError("RedisStore: unknown option 'breaker.threshold' (known: breaker.failureThreshold, breaker.cooldownMs, breaker.onStateChange, breaker.clock)"),
    );
    expect(() => new RedisStore({ connection: url, timeoutMs: 0 })).toThrow(/^RedisStore: timeoutMs must be/);
    expect(() => new TieredStore({ l1: {} as never, l2: {} as never })).toThrow(/^TieredStore: l1 must be a MemoryStore/);
  });

  it('refuses a breaker.onStateChange that is not a function (it would throw inside the breaker), a name that is not a non-empty string, and misspelled bus options by their path', async () => {
    const url = process.env.REDIS_URL!;
    expect(() => new RedisStore({ connection: url, breaker: { onStateChange: 1 as never } })).toThrow(
      new TypeError('RedisStore: breaker.onStateChange must be a function; got 1 (number)'),
    );
    expect(() => new RedisStore({ connection: url, name: 5 as never })).toThrow(new TypeError('RedisStore: name must be a non-empty string; got 5 (number)'));
    expect(() => new MemoryStore({ name: '' })).toThrow(new TypeError("MemoryStore: name must be a non-empty string; got ''"));
    const l1 = new MemoryStore();
    const l2 = new RedisStore({ connection: url });
    try {
      expect(() => new TieredStore({ l1, l2, name: 5 as never })).toThrow(new TypeError('TieredStore: name must be a non-empty string; got 5 (number)'));
      expect(() => new TieredStore({ l1, l2, bus: { chanel: 'x' } as never })).toThrow(new TypeError("TieredStore: unknown option 'bus.chanel' (known: bus.channel)"));
    } finally {
      await l2.close();
    }
  });

  it('configureCache refuses stores that is not an object of named stores', () => {
    expect(() => configureCache({ stores: 5 as never })).toThrow(new TypeError('configureCache: stores must be an object of named CacheStores; got 5 (number)'));
    expect(() => configureCache({ stores: 'ab' as never })).toThrow(new TypeError("configureCache: stores must be an object of named CacheStores; got 'ab'"));
  });
});
