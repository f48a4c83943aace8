/**
 * The connections of a RedisStore: the client it is given or opens itself (with defaults that
 * fail fast instead of queueing), the version mirror's own connection, and how an owned client
 * is closed.
 */

import { Redis, type RedisOptions } from 'ioredis';
import type { RedisClient, RedisStoreOptions } from '../../options/redis-store.js';

/** Reconnect after 0.1 s, 0.2 s, ... at most every 2 s. */
const reconnectDelay = (times: number) => Math.min(100 * times, 2000);

/** Defaults of a connection the store opens itself: fail fast instead of queueing, never replay stale commands. */
const OWNED_CONNECTION_DEFAULTS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  retryStrategy: reconnectDelay,
};

/**
 * The version mirror's own connection, which also carries the store's reads while it is up:
 * RESP3 (announcements arrive in the same stream as replies), the client's key prefix, no
 * offline queue, in-flight commands failed at once when it drops.
 */
const MIRROR_CONNECTION: RedisOptions = {
  ...OWNED_CONNECTION_DEFAULTS,
  protocol: 3,
  lazyConnect: true,
  autoResubscribe: false,
  enableAutoPipelining: false,
};

/** The store's client: `client` as given (not owned), or one opened from `connection` (owned: the store closes it). */
export function openStoreClient(options: Pick<RedisStoreOptions, 'client' | 'connection'>): { client: RedisClient; owned: boolean } {
  if (options.client !== undefined) return { client: options.client, owned: false };
  const connection = options.connection;
  const client = typeof connection === 'string' ? new Redis(connection, OWNED_CONNECTION_DEFAULTS) : new Redis({ ...OWNED_CONNECTION_DEFAULTS, ...connection });
  return { client, owned: true };
}

/** Opens (lazily) the version mirror's connection: this package's ioredis (whose RESP3 pushes it hears), with `base`'s options. */
export function openMirrorConnection(base: Redis, storeName: string): Redis {
  return new Redis({ ...base.options, ...MIRROR_CONNECTION, connectionName: `cachekit-versions:${storeName.replace(/[^\w.-]/g, '_')}` });
}

/** The key prefix of a client (`keyPrefix` option), if any. */
export function keyPrefixOf(client: Redis): string | undefined {
  return (client.options as { keyPrefix?: string } | undefined)?.keyPrefix;
}

/**
 * Closes a client the store opened: QUIT lets replies already on the way arrive, a dead server
 * gets no more than `timeoutMs`; late 'error' events of the dying socket are swallowed.
 */
export async function closeOwnedClient(client: RedisClient, timeoutMs: number): Promise<void> {
  // late 'error' events of a dying socket must not become unhandled
  client.on('error', () => undefined);
  if (client.status === 'end') return;
  const ended = new Promise<void>((resolve) => {
    client.once('end', () => resolve());
    setTimeout(resolve, timeoutMs).unref();
  });
  if (client.status === 'ready') {
    await Promise.race([client.quit().catch(() => undefined), ended]);
  }
  // between reconnect attempts the socket has closed already: ioredis's disconnect() then waits for
  // its 'close' (a ref'd timer of `disconnectTimeout`, 2 s, that keeps the process alive) and never
  // emits 'end' (ioredis #1247). Its close came long ago: tell the waiting timer, and stop waiting.
  const stream = (client as { stream?: { destroyed?: boolean; emit(event: 'close'): boolean } }).stream;
  const closedAlready = client.status === 'reconnecting' && stream?.destroyed === true;
  client.disconnect();
  if (closedAlready) {
    stream!.emit('close');
    return;
  }
  await ended;
}
