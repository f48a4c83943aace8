import type { Cluster, Redis, RedisOptions } from 'ioredis';
import type { Serializer } from '../serializer.js';
import type { CircuitBreakerOptions } from './circuit-breaker.js';

/** An ioredis client: a single `Redis` connection or a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Options of `RedisStore`. Give `client` or `connection` (neither: a connection to localhost:6379). See docs/stores/redis-store.md. */
export interface RedisStoreOptions {
  /** An ioredis `Redis` or `Cluster` you created. The store uses it as is and leaves it open on `close()`. @default none */
  client?: RedisClient;
  /**
   * ioredis options or a `redis://` URL: the store opens its own connection (no offline queue,
   * in-flight commands failed at once when the connection drops, reconnects every 0.1-2 s)
   * and closes it on `close()`. Your options override those defaults. @default none
   */
  connection?: string | RedisOptions;
  /**
   * The runtime prefix (as given to `configureCache({ prefix })`) whose keys `clear()` removes.
   * @default the prefix of every runtime the store is attached to and every prefix it has written under; `'cachekit'` if none
   */
  scope?: string;
  /** Encodes values. @default the runtime's `serializer`, else MessagePack (msgpackr) */
  serializer?: Serializer;
  /** Longest wait for any single Redis operation, in ms; a slower one fails with `StoreTimeoutError`. @default 500 */
  timeoutMs?: number;
  /**
   * Largest encoded entry stored, in bytes. A bigger value is not cached: a `write` stores a
   * tombstone instead (no older value stays behind), a `writeIf` (a populate, a write-through)
   * returns false; the first one is reported once as a `ValueTooLargeError`, every one counted
   * in `RedisStore.oversizedValues`. The call still returns the method's value. Keep it
   * below the server's `proto-max-bulk-len` (512 MB) and well within `timeoutMs` of transfer.
   * @default 8_388_608 (8 MiB)
   */
  maxValueBytes?: number;
  /** Circuit breaker settings, or `false` to never fail fast. @default { failureThreshold: 5, cooldownMs: 1000 } */
  breaker?: CircuitBreakerOptions | false;
  /** A name for stats and errors. @default 'redis' */
  name?: string;
  /**
   * Keep namespace and tag versions in memory, kept current by Redis's client-side caching
   * (`CLIENT TRACKING` under RESP3, Redis >= 6), so a warm hit is one `GET` instead of an `MGET`
   * of the entry and its versions. Reads then go on one extra connection (unref'd, named
   * `cachekit-versions:<name>`) that also receives Redis's announcements, ahead of any reply
   * Redis sends after them: every invalidation, from any instance, is still seen by the next
   * read. `false`: no extra connection; every read also reads its versions. Off by itself on
   * a Cluster, and on servers without RESP3 or `CLIENT TRACKING`. See
   * docs/stores/redis-store.md#how-it-talks-to-redis. @default true
   */
  trackVersions?: boolean;
}
