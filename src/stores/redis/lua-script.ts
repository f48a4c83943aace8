/**
 * A Lua script as RedisStore and the write-behind journal run it: by EVALSHA, loaded with EVAL
 * when the server does not know it yet (or by EVAL every time where order matters).
 */

import { createHash } from 'node:crypto';

/**
 * What a Lua script needs of an ioredis client (Redis or Cluster). Named commands only:
 * ioredis 6's generic `callBuffer` loses the command name on a client with
 * `enableAutoPipelining`.
 */
export interface ScriptClient {
  evalBuffer(script: string, numKeys: number, ...args: Array<string | Buffer | number>): Promise<unknown>;
  evalshaBuffer(sha: string, numKeys: number, ...args: Array<string | Buffer | number>): Promise<unknown>;
}

/** A Lua script run by EVALSHA, loaded with EVAL when the server does not know it yet. */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /**
   * Runs the script by EVAL, sending its source every time: unlike EVALSHA it never fails with
   * NOSCRIPT, so calls pipelined on one connection run in the order they were sent.
   */
  runInOrder(client: ScriptClient, keys: readonly string[], args: ReadonlyArray<string | Buffer | number>): Promise<unknown> {
    return client.evalBuffer(this.source, keys.length, ...keys, ...args);
  }

  /** Runs the script; replies come back as Buffers (binary payloads survive). */
  async run(client: ScriptClient, keys: readonly string[], args: ReadonlyArray<string | Buffer | number>): Promise<unknown> {
    try {
      return await client.evalshaBuffer(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).includes('NOSCRIPT')) throw error;
      return client.evalBuffer(this.source, keys.length, ...keys, ...args);
    }
  }
}
