/**
 * Redis's client-side caching announcements (`invalidate` pushes) as an event on the ioredis
 * connection that receives them.
 *
 * Under RESP3 (`protocol: 3`) a connection with `CLIENT TRACKING ON` receives `invalidate`
 * pushes in the same stream as its replies: a push about a change always arrives before the
 * reply to any command Redis ran after that change. ioredis 6 parses these pushes but drops
 * them (its `DataHandler.returnPush` only knows pub/sub pushes). {@link listenForInvalidations}
 * wraps that method once so that an `invalidate` push is emitted on its connection as
 * {@link INVALIDATE_EVENT} (with the changed keys as Buffers, or `null` for a flush of the whole
 * database), synchronously, before any later reply of the same stream is handled. Every push,
 * this one included, still goes to ioredis as before.
 */

/** The event a connection emits for each `invalidate` push: `(keys: Buffer[] | null)`. */
export const INVALIDATE_EVENT = 'cachekit:invalidate';

interface PushHandler {
  redis: { emit(event: string, ...args: unknown[]): boolean };
  returnPush(reply: unknown): void;
}

let installed: Promise<boolean> | undefined;

/**
 * Makes every ioredis connection (of the ioredis this package loads) emit
 * {@link INVALIDATE_EVENT}. Idempotent. The handler is loaded from ioredis's own files
 * (`ioredis/built/DataHandler.js`; ioredis exports no such hook), so it is imported here, not
 * when the package loads: an ioredis laid out otherwise only turns tracking off.
 * @returns false when this ioredis has no push handler to wrap (tracking then stays off)
 */
export function listenForInvalidations(): Promise<boolean> {
  return (installed ??= import('ioredis/built/DataHandler.js').then(wrapPushHandler, () => false));
}

function wrapPushHandler(module: unknown): boolean {
  const loaded = module as { default?: { prototype?: PushHandler; default?: { prototype?: PushHandler } } };
  const handler = loaded.default?.default ?? loaded.default;
  const proto = handler?.prototype;
  const original = proto?.returnPush;
  if (proto === undefined || typeof original !== 'function') return false;
  proto.returnPush = function returnPush(this: PushHandler, reply: unknown): void {
    if (Array.isArray(reply) && reply.length === 2 && isInvalidate(reply[0])) this.redis.emit(INVALIDATE_EVENT, reply[1] ?? null);
    // ioredis still sees every push (today it ignores `invalidate`; a later version may not)
    original.call(this, reply);
  };
  return true;
}

function isInvalidate(kind: unknown): boolean {
  return (Buffer.isBuffer(kind) || typeof kind === 'string') && kind.length === 10 && kind.toString() === 'invalidate';
}
