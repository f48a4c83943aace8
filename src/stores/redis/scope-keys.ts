/**
 * The keys a RedisStore owns, by runtime prefix ("scope"): which prefixes it wrote under (the
 * `scope` option, else the prefixes noted from the keys it wrote, else the default), and how
 * `clear()` removes their keys: `prefix:*`, `prefix#n:*`, `prefix#t:*` and `prefix#l:*`, found
 * with `SCAN` (on every master of a Cluster) and removed with `UNLINK`, never `KEYS` or
 * `FLUSHDB`. Other keys in the database are never touched.
 */

import type { Redis } from 'ioredis';
import { REDIS_STORE_DEFAULTS } from '../../defaults.js';
import { escapeSegment, LOCK_KEY_MARKER, VERSION_KEY_MARKERS } from '../key-layout.js';
import type { CommandSender } from './command-sender.js';
import { keyPrefixOf } from './connection.js';

/** See the file comment. */
export class ScopeKeys {
  private readonly seen = new Set<string>();
  private last = '\u0000';

  /** @param scope the `scope` option (undefined: learn the prefixes from the keys) */
  constructor(private readonly scope: string | undefined) {}

  /** Notes the runtime prefix the store is attached under. */
  notePrefix(prefix: string): void {
    this.seen.add(escapeSegment(prefix));
  }

  /** Remembers the runtime prefix of a key (up to its first `:` or `#`). */
  noteKey(key: string): void {
    if (this.scope !== undefined) return;
    const last = this.last;
    if (key.startsWith(last)) {
      const c = key.charCodeAt(last.length);
      if (c === 58 /* : */ || c === 35 /* # */) return;
    }
    const end = key.search(/[:#]/);
    if (end <= 0) return;
    this.last = key.slice(0, end);
    this.seen.add(this.last);
  }

  /** Removes every key under the store's prefixes on `nodes` (the masters of a Cluster, else the client), each command through `sender`. */
  async clear(sender: CommandSender, nodes: readonly Redis[], isCluster: boolean): Promise<void> {
    const scopes = this.scope !== undefined ? [escapeSegment(this.scope)] : this.seen.size ? [...this.seen] : [escapeSegment(REDIS_STORE_DEFAULTS.scope)];
    for (const node of nodes) {
      const clientPrefix = String(keyPrefixOf(node) ?? '');
      const prefixBytes = Buffer.byteLength(clientPrefix);
      for (const scope of scopes) {
        for (const suffix of [':', ...VERSION_KEY_MARKERS, LOCK_KEY_MARKER]) {
          const pattern = `${globEscape(clientPrefix + scope + suffix)}*`;
          let cursor = '0';
          do {
            const [next, found] = await sender.send(() => node.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000));
            cursor = String(next);
            if (found.length === 0) continue;
            const keys = prefixBytes ? found.map((k) => k.subarray(prefixBytes)) : found;
            if (isCluster) await sender.send(() => node.pipeline(keys.map((k) => ['unlink', k])).exec(), pipelineResults);
            else await sender.send(() => node.unlink(...keys));
          } while (cursor !== '0');
        }
      }
    }
  }
}

/** Unwraps `pipeline().exec()` results, rethrowing the first command error. */
function pipelineResults(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (results === null) throw new Error('pipeline aborted');
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}

/** Escapes glob metacharacters for `SCAN MATCH`. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
