/**
 * @CacheableMany and the resilient-read options in both decorator modes (this file runs in the
 * standard and the legacy Jest project): applied to instance and static methods, its types
 * refuse a key function whose id type the method does not take, and a batch shares the entries
 * of the single-id @Cacheable.
 */
import { Cacheable, CacheableMany, configureCache, type CacheRuntime } from '../../src/index.js';

let runtime: CacheRuntime | undefined;
afterEach(async () => {
  await runtime?.close();
  runtime = undefined;
});

describe('@CacheableMany in this decorator mode', () => {
  it('batches on an instance method and a static one, sharing the entries of @Cacheable', async () => {
    runtime = configureCache({ prefix: `dm-${Math.random().toString(36).slice(2)}` });
    const calls: number[][] = [];
    class Users {
      @CacheableMany({ namespace: 'user', key: (id: number) => id, grace: '1h', ttl: '1m' })
      async getMany(ids: number[]): Promise<string[]> {
        calls.push(ids);
        return ids.map((id) => `user-${id}`);
      }
      @Cacheable({ namespace: 'user', key: (id: number) => id, refreshAhead: 0.5, ttl: (name: string) => (name.endsWith('1') ? '1m' : '1h') })
      async get(id: number): Promise<string> {
        calls.push([id]);
        return `user-${id}`;
      }
      @CacheableMany({ namespace: 'user', key: (id: number) => id, result: 'map' })
      static async getMap(ids: number[]): Promise<Map<number, string>> {
        calls.push(ids);
        return new Map(ids.map((id) => [id, `user-${id}`]));
      }
    }
    const users = new Users();
    expect(await users.get(2)).toBe('user-2');
    expect(await users.getMany([1, 2, 3])).toEqual(['user-1', 'user-2', 'user-3']);
    expect([...(await Users.getMap([3, 4]))]).toEqual([
      [3, 'user-3'],
      [4, 'user-4'],
    ]);
    expect(calls).toEqual([[2], [1, 3], [4]]);
  });

  it('types: the key function takes what the ids are', () => {
    class Typed {
      // @ts-expect-error the ids are strings, the key function takes numbers
      @CacheableMany({ key: (id: number) => id })
      async getMany(ids: string[]): Promise<string[]> {
        return ids;
      }
    }
    expect(Typed).toBeDefined();
  });
});
