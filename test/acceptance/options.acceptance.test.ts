/**
 * Outside acceptance: options errors name the option path and quote the value, when the decorator
 * is applied (README "Decorator options"; issue 12.8), and store constructors' errors start with
 * the class name.
 */
import { Cacheable, CacheDefaults, Invalidate, WriteBehind, WriteThrough, MemoryStore, RedisStore, TieredStore } from 'cachekit';

/** Applies `decorator` to a method `save(id, value)` and returns what was thrown. */
function applied(decorator: any): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    class Repo {
      @decorator
      async save(id: string, value: number): Promise<void> {
        void id;
        void value;
      }
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('nothing was thrown');
}

describe('decorator options errors', () => {
  it('README example: ttl -5 -> "@Cacheable: ttl: expected milliseconds ... got -5 (number)"', () => {
    const error = thrown(() => Cacheable({ ttl: -5 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^@Cacheable: ttl: expected milliseconds.* got -5 \(number\)$/);
  });

  it('an unknown option name (tll) is refused with a TypeError naming it', () => {
    const error = thrown(() => Cacheable({ tll: '5m' } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('tll');
  });

  it.each([
    ['retry: 5', { retry: 5 }, 'retry', '5'],
    ['batch: 100', { batch: 100 }, 'batch', '100'],
    ["journal: 'x'", { journal: 'x' }, 'journal', "'x'"],
    ['batch: { interval: 5 } (unknown name)', { batch: { interval: 5 } }, 'batch.interval', 'batch.intervalMs'],
    ['retry: { attempts: -1 }', { retry: { attempts: -1 } }, 'retry.attempts', '-1'],
    ['batch: { size: 0 }', { batch: { size: 0 } }, 'batch.size', '0'],
  ])('@WriteBehind %s throws a TypeError naming the option path and quoting the value', (_label, options, path, quoted) => {
    const error = (() => {
      try {
        return applied(WriteBehind(options as never) as never);
      } catch (e) {
        return e;
      }
    })() as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^@WriteBehind: /);
    expect(error.message).toContain(path);
    expect(error.message).toContain(quoted);
  });

  it('valueArg beyond the method parameters is refused when applied', () => {
    const error = applied(WriteBehind({ valueArg: 2 }) as never) as Error;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^@WriteBehind: valueArg/);
    expect(error.message).toContain('2');
  });

  it('valueArg within the parameters is accepted', () => {
    expect(applied(WriteBehind({ valueArg: 1 }) as never)).toBeUndefined();
  });
});

describe('store options errors start with the class name', () => {
  it('MemoryStore', () => {
    const error = thrown(() => new MemoryStore({ maxEntries: -1 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^MemoryStore: maxEntries/);
    expect(error.message).toContain('-1');
    const unknown = thrown(() => new MemoryStore({ maxEntrys: 5 } as never));
    expect(unknown.message).toMatch(/^MemoryStore: /);
    expect(unknown.message).toContain('maxEntrys');
  });

  it('RedisStore', () => {
    const error = thrown(() => new RedisStore({ connection: process.env.REDIS_URL!, timeoutMs: -1, lazyConnect: true } as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^RedisStore: /);
    const big = thrown(() => new RedisStore({ connection: process.env.REDIS_URL!, maxValueBytes: -1 } as never));
    expect(big.message).toMatch(/^RedisStore: maxValueBytes/);
  });

  it('TieredStore', () => {
    const error = thrown(() => new TieredStore({ l1: new MemoryStore(), l2: 'redis' as never }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toMatch(/^TieredStore: l2/);
  });
});

describe('every decorator option: a wrong value throws a TypeError naming the option and quoting the value', () => {
  it.each([
    ['@Cacheable', () => Cacheable({ ttl: '5 minutes' } as never), 'ttl', "'5 minutes'"],
    ['@Cacheable', () => Cacheable({ ttl: '5x' } as never), 'ttl', "'5x'"],
    ['@Cacheable', () => Cacheable({ ttlJitter: 2 }), 'ttlJitter', '2'],
    ['@Cacheable', () => Cacheable({ condition: 'yes' } as never), 'condition', "'yes'"],
    ['@Cacheable', () => Cacheable({ namespace: '' }), 'namespace', "''"],
    ['@Cacheable', () => Cacheable({ cacheNull: 'no' } as never), 'cacheNull', "'no'"],
    ['@Cacheable', () => Cacheable({ store: 5 } as never), 'store', '5'],
    ['@Cacheable', () => Cacheable({ tags: 'all' } as never), 'tags', "'all'"],
    ['@Cacheable', () => Cacheable({ distributedLock: 1 } as never), 'distributedLock', '1'],
    ['@Invalidate', () => Invalidate({ key: (id: string) => id, when: 'later' } as never), 'when', "'later'"],
    ['@WriteBehind', () => WriteBehind({ backpressure: 'drop' } as never), 'backpressure', "'drop'"],
    ['@WriteBehind', () => WriteBehind({ maxPending: 0 }), 'maxPending', '0'],
    ['@WriteBehind', () => WriteBehind({ concurrency: 1.5 }), 'concurrency', '1.5'],
    ['@WriteBehind', () => WriteBehind({ durable: 'yes' } as never), 'durable', "'yes'"],
    ['@WriteBehind', () => WriteBehind({ merge: 'sum' } as never), 'merge', "'sum'"],
    ['@WriteBehind', () => WriteBehind({ retry: { backoffMs: -1 } }), 'retry.backoffMs', '-1'],
    ['@WriteBehind', () => WriteBehind({ retry: { onOutage: 'drop' } } as never), 'retry.onOutage', "'drop'"],
    ['@WriteBehind', () => WriteBehind({ journal: { claimIdleMs: -5 } }), 'journal.claimIdleMs', '-5'],
    ['@WriteThrough', () => WriteThrough({ throwOnCacheError: 'true' } as never), 'throwOnCacheError', "'true'"],
    ['@CacheDefaults', () => CacheDefaults({ ttl: -1 } as never), 'ttl', '-1'],
  ])('%s %s', (decorator, make, option, quoted) => {
    const error = thrown(make);
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message.startsWith(`${decorator}: `)).toBe(true);
    expect(error.message).toContain(option);
    expect(error.message).toContain(quoted);
  });

  it('durations: number milliseconds and the README strings are accepted', () => {
    for (const ttl of [0, 1500, '500ms', '30s', '5m', '1h', '1d'] as const) expect(() => Cacheable({ ttl })).not.toThrow();
  });
});
