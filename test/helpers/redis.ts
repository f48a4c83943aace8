import type { Cluster, Redis } from 'ioredis';
import type { RawRedis } from 'cachekit/testing';

/** The redis-server Jest's global setup started (or REDIS_URL). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('REDIS_URL is not set: the Jest global setup starts a redis-server and sets it');
  return url;
}

/** Raw access to a Redis or Cluster, for the shared store suite. */
export function rawOf(client: Redis | Cluster): RawRedis {
  const c = client as Redis;
  return {
    set: (key, value) => c.set(key, value),
    getBuffer: (key) => c.getBuffer(key),
    pttl: (key) => c.pttl(key),
    exists: (key) => c.exists(key),
    del: (key) => c.del(key),
  };
}

/** Every key of one server matching `pattern`: SCAN cursor to cursor (one SCAN call looks at only part of the keyspace). */
export async function scanAll(client: Redis, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...page);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}
