/**
 * A RedisStore's reads of entries and their version counters: one command each.
 *
 * - Versions tracked (`version-mirror.ts`, live, every counter copied): `GET key` on the
 *   mirror's connection, behind every announcement of a change Redis made before running it;
 *   if one arrived meanwhile, the entry is read again with its versions. One `GET` per warm
 *   hit: paid for by the sequential `@Cacheable, RedisStore` row of `bench/redis-hit.mjs`
 *   (against the `trackVersions: false` row).
 * - Otherwise `MGET key versionKey...` (the versions copied when tracked); on a Cluster,
 *   parallel `GET`s, since the keys may live in different hash slots.
 * - A missing counter is created at a random base (`version-counters.ts`).
 *
 * Replies become results in `entry-replies.ts`. A lone read's map runs in ioredis's reply callback
 * (see `command-sender.ts`), so the epoch check below sees exactly the announcements that arrived
 * before the reply.
 */

import type { Redis } from 'ioredis';
import type { CommandSender } from './command-sender.js';
import type { EntryReplies, RedisReadResult } from './entry-replies.js';
import type { VersionCounters } from './version-counters.js';
import type { VersionMirror } from './version-mirror.js';

const EMPTY: number[] = [];

/** See the file comment. */
export class VersionedReads {
  constructor(
    private readonly sender: CommandSender,
    private readonly client: Redis,
    private readonly isCluster: boolean,
    private readonly counters: VersionCounters,
    /** Copies of the version counters (none on a Cluster or with `trackVersions: false`). */
    private readonly mirror: VersionMirror | undefined,
    private readonly replies: EntryReplies,
  ) {}

  /** The entry under `key` and the current values of `versionKeys` (see the file comment). */
  read(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    if (versionKeys.length === 0) return this.sender.send({ name: 'getBuffer', args: [key] }, (data: Buffer | null) => this.replies.result(key, data, EMPTY));
    if (this.isCluster) {
      const c = this.client;
      return this.sender.send(
        () => Promise.all([c.getBuffer(key), ...versionKeys.map((k) => c.getBuffer(k))]),
        (all) => this.withCounters(versionKeys, all, (versions) => this.replies.result(key, all[0]!, versions)),
      ) as Promise<RedisReadResult>;
    }
    const mirror = this.mirror;
    const reader = mirror?.reader;
    const versions = reader === undefined ? undefined : mirror!.lookup(versionKeys);
    if (versions === undefined) return this.readWithVersions(key, versionKeys);
    const seen = mirror!.epoch;
    // The GET goes on the mirror's connection, behind every announcement of a change Redis
    // made before running it: if one arrived meanwhile, read the versions too (the map may
    // return a promise: the read's promise adopts it).
    return this.sender.send({ name: 'getBuffer', args: [key], via: reader }, (data: Buffer | null) =>
      mirror!.epoch === seen ? this.replies.result(key, data, versions) : this.readWithVersions(key, versionKeys),
    ) as Promise<RedisReadResult>;
  }

  /** A read of the entry and its versions in one `MGET` (the versions are copied when tracked). */
  private readWithVersions(key: string, versionKeys: readonly string[]): Promise<RedisReadResult> {
    const mirror = this.mirror;
    const epoch = mirror?.epoch ?? 0;
    return this.sender.send({ name: 'mgetBuffer', args: [key, ...versionKeys], via: mirror?.reader }, (all: Array<Buffer | null>) => {
      const versions = this.counters.parse(versionKeys, all, 1);
      if (!Array.isArray(versions)) return versions.then((started) => this.replies.result(key, all[0]!, started));
      mirror?.learn(versionKeys, versions, epoch);
      return this.replies.result(key, all[0]!, versions);
    }) as Promise<RedisReadResult>;
  }

  /** `then(versions)` with the counters read as `all` from index 1 on (missing ones created first). */
  private withCounters<R>(versionKeys: readonly string[], all: Array<Buffer | null>, then: (versions: readonly number[]) => R): R | Promise<R> {
    const versions = this.counters.parse(versionKeys, all, 1);
    return Array.isArray(versions) ? then(versions) : versions.then(then);
  }

  /**
   * Several entries, each with its own version keys, in one `MGET` of every key and every
   * distinct version key (atomic, as the read of one entry with its versions); on a Cluster, one
   * read each. The versions are copied when tracked.
   */
  readMany(keys: readonly string[], versionKeys: ReadonlyArray<readonly string[]>): Promise<RedisReadResult[]> {
    if (this.isCluster || keys.length === 0) return Promise.all(keys.map((key, i) => this.read(key, versionKeys[i]!)));
    const unique = [...new Set(versionKeys.flat())];
    const mirror = this.mirror;
    const epoch = mirror?.epoch ?? 0;
    return this.sender.send({ name: 'mgetBuffer', args: [...keys, ...unique], via: mirror?.reader }, (all: Array<Buffer | null>) => {
      const results = (values: readonly number[]) => {
        const byKey = new Map<string, number>(unique.map((k, i) => [k, values[i]!]));
        return keys.map((key, i) => this.replies.result(key, all[i]!, versionKeys[i]!.map((k) => byKey.get(k)!)));
      };
      const versions = this.counters.parse(unique, all, keys.length);
      if (!Array.isArray(versions)) return versions.then(results);
      mirror?.learn(unique, versions, epoch);
      return results(versions);
    }) as Promise<RedisReadResult[]>;
  }

  /** The current values of `versionKeys`, always asked of Redis. */
  readVersions(versionKeys: readonly string[]): Promise<readonly number[]> {
    if (versionKeys.length === 0) return Promise.resolve([]);
    if (this.isCluster) return this.counters.readOnCluster(versionKeys);
    // Always asked of Redis (copies are trusted only by a read of an entry: its reply settles
    // what the copies held when Redis ran it). On the mirror's connection, they are copied.
    const mirror = this.mirror;
    const read = () => {
      const epoch = mirror?.epoch ?? 0;
      return this.sender.send({ name: 'mgetBuffer', args: [...versionKeys], via: mirror?.reader }, (all: Array<Buffer | null>) => {
        const versions = this.counters.parse(versionKeys, all);
        if (Array.isArray(versions)) mirror?.learn(versionKeys, versions, epoch);
        return versions;
      }) as Promise<readonly number[]>;
    };
    // The same counter asked again within one burst (a wave of write-behind calls of one namespace) shares the first read.
    return versionKeys.length === 1 ? this.sender.shareInBurst(versionKeys[0]!, read) : read();
  }
}
