/**
 * A burst: the plain commands (`GET`, `MGET`, `SET`) a RedisStore gathered during one
 * synchronous turn (see `command-sender.ts` for when a command joins one), sent as two
 * commands whatever their number: the burst's SETs as one script (`SET_MANY`, its keys and
 * values packed into one argument: `packed-frames.ts`), then its reads as one `MGET` of every
 * distinct key, its reply cut back into each read's answer. Writes go first, so a read sees
 * every write issued in the same turn.
 *
 * Paid for by the `@Cacheable, RedisStore | 100 in flight` row of `bench/redis-hit.mjs`
 * (ioredis's cost is per command and per argument, not per key: 100 calls started by one
 * `Promise.all` cost 2 commands instead of 100).
 */

import type { Redis } from 'ioredis';
import type { ScriptClient } from './lua-script.js';
import { packFrameChunks } from './packed-frames.js';
import type { PendingCommand } from './pending-commands.js';
import { SET_MANY } from './store-scripts.js';

/** The ioredis methods of the commands a burst can carry. */
export type PlainCommandName = 'getBuffer' | 'mgetBuffer' | 'set';

/** One plain command waiting in a burst, with the pending command its caller waits on. */
export interface QueuedCommand {
  readonly name: PlainCommandName;
  readonly args: Array<string | Buffer>;
  readonly command: PendingCommand<any, any>;
}

/** An ioredis client called by method name. */
type ByName = Record<string, (...a: Array<string | Buffer>) => Promise<unknown>>;

/**
 * Sends the burst `queued` on `via`, in order: a lone command as itself, else its writes, then
 * its reads. @param keyPrefix the client's key prefix (the packed SETs bypass ioredis's prefixing)
 */
export function sendBurst(queued: readonly QueuedCommand[], via: Redis, keyPrefix: string | undefined): void {
  if (queued.length === 1) {
    const { name, args, command } = queued[0]!;
    try {
      (via as unknown as ByName)[name]!(...args).then(command.ok, command.fail);
    } catch (error) {
      command.fail(error);
    }
    return;
  }
  const reads: QueuedCommand[] = [];
  const writes: QueuedCommand[] = [];
  for (const q of queued) (q.name === 'set' ? writes : reads).push(q);
  if (writes.length) writeTogether(writes, via, keyPrefix);
  if (reads.length) readTogether(reads, via);
}

/**
 * SETs of one burst: one script that runs them all, in the order issued (a lone one as itself).
 * A burst larger than one frame (`packed-frames.ts`: below any server's `proto-max-bulk-len`)
 * goes as several scripts, pipelined in order (by EVAL: a NOSCRIPT retry would reorder them);
 * each fails or succeeds for its own writes only.
 */
function writeTogether(queued: readonly QueuedCommand[], via: Redis, keyPrefix: string | undefined): void {
  if (queued.length === 1) {
    settleWrites(queued, (via as unknown as ByName).set!(...queued[0]!.args));
    return;
  }
  const fields: Array<string | Buffer> = [];
  for (const q of queued) fields.push(keyPrefix ? keyPrefix + (q.args[0] as string) : q.args[0]!, q.args[1]!, q.args[3] ?? '0');
  const chunks = packFrameChunks(fields, 3);
  const scripts = via as unknown as ScriptClient;
  if (chunks.length === 1) {
    settleWrites(queued, SET_MANY.run(scripts, [], [chunks[0]!.frame]));
    return;
  }
  let at = 0;
  for (const { frame, groups } of chunks) {
    settleWrites(queued.slice(at, at + groups), SET_MANY.runInOrder(scripts, [], [frame]));
    at += groups;
  }
}

/** Reads of one burst: one MGET of every distinct key, its reply cut back into each read's answer. */
function readTogether(queued: readonly QueuedCommand[], via: Redis): void {
  // Each key once (a burst's reads mostly share their namespace version): where each read's keys sit in the MGET.
  const keys: Array<string | Buffer> = [];
  const slotOf = new Map<string | Buffer, number>();
  const slots = new Array<number>();
  for (const q of queued) {
    for (const a of q.args) {
      let slot = slotOf.get(a);
      if (slot === undefined) {
        slot = keys.push(a) - 1;
        slotOf.set(a, slot);
      }
      slots.push(slot);
    }
  }
  via.mgetBuffer(...(keys as string[])).then(
    (values) => {
      let at = 0;
      for (const q of queued) {
        const n = q.args.length;
        if (q.name === 'getBuffer') q.command.ok(values[slots[at]!]);
        else {
          const own = new Array<Buffer | null>(n);
          for (let i = 0; i < n; i++) own[i] = values[slots[at + i]!]!;
          q.command.ok(own);
        }
        at += n;
      }
    },
    (error: unknown) => {
      for (const q of queued) q.command.fail(error);
    },
  );
}

/** Settles the write commands of a burst with the outcome of the command that carried them. */
function settleWrites(queued: readonly QueuedCommand[], sent: Promise<unknown>): void {
  sent.then(
    () => {
      for (const q of queued) q.command.ok(undefined);
    },
    (error: unknown) => {
      for (const q of queued) q.command.fail(error);
    },
  );
}
