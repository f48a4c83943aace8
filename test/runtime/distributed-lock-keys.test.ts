import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Cacheable, RedisStore, configureCache } from '../../src/index.js';
import { entryKey, lockKey, namespaceBase, namespaceVersionKey, tagVersionKey } from '../../src/stores/key-layout.js';
import { redisUrl } from '../helpers/redis.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

describe('distributed lock keys live in a key space no entry can produce', () => {
  it('never equals an entry key or a version key, for awkward prefixes, namespaces and key parts', () => {
    const parts = ['x', 'x#lock', 'x#l:y', '#l:x', 'l:x', ':x', 'x:', '', 'a'.repeat(300), '%23l%3A'];
    const bases = [namespaceBase('app', 'ns'), namespaceBase('a#l', 'n:s'), namespaceBase('', 'ns'), namespaceBase('app#l:', '#l:')];
    const entries = new Set<string>();
    for (const base of bases) for (const part of parts) entries.add(entryKey(base, part));
    const versions = ['app', 'a#l', '', 'app#l:'].flatMap((p) => [namespaceVersionKey(p, 'ns'), namespaceVersionKey(p, '#l:x'), tagVersionKey(p, 'x')]);
    const locks = new Set<string>();
    for (const key of entries) {
      const lock = lockKey(key);
      expect(entries.has(lock)).toBe(false);
      expect(versions.includes(lock)).toBe(false);
      locks.add(lock);
    }
    expect(locks.size).toBe(entries.size); // one lock per entry
    expect(lockKey(entryKey(namespaceBase('app', 'ns'), 'x'))).toBe('app#l:ns:x');
  });

  it("a @Cacheable miss holding the lock of 'x' and a call of 'x#lock' do not touch each other's keys", async () => {
    const store = new RedisStore({ connection: redisUrl() });
    const raw = new Redis(redisUrl());
    const prefix = `dl${randomBytes(3).toString('hex')}`;
    const reported: unknown[] = [];
    configureCache({ store, prefix, onError: (error) => reported.push(error) });
    const gate = new Gate();
    let running = 0;
    class Reports {
      @Cacheable({ namespace: 'r', key: (id: string) => id, distributedLock: true })
      async build(id: string) {
        running++;
        if (id === 'x') await gate.opened;
        return `report ${id}`;
      }
    }
    try {
      const reports = new Reports();
      const slow = reports.build('x');
      await until(() => running === 1, "the miss of 'x' runs under its lock");
      expect(await reports.build('x#lock')).toBe('report x#lock');
      expect(await reports.build('x#lock')).toBe('report x#lock'); // cached under its own key
      expect(running).toBe(2);
      expect(reported).toEqual([]); // nothing read the lock's token as an entry
      expect(await raw.get(`${prefix}#l:r:x`)).toMatch(/^[\w-]{22}$/); // the lock still holds
      gate.open();
      expect(await slow).toBe('report x');
      expect(await reports.build('x')).toBe('report x');
      expect(running).toBe(2);
      await until(async () => (await raw.exists(`${prefix}#l:r:x`)) === 0, 'the lock is released');
      expect(reported).toEqual([]);
    } finally {
      configureCache();
      await store.close();
      await raw.quit();
    }
  });
});
