/**
 * A read's reply turned into its {@link RedisReadResult}: the entry decoded (`entry-codec.ts`),
 * or, when the bytes do not decode, a miss reported as a `SerializationError`.
 *
 * A lone read decodes ahead (`recent-entries.ts`): right after it was sent,
 * {@link EntryReplies.decoderFor} decodes the bytes last read under its key while the command
 * is on the wire, and the reply, when it holds the same bytes, takes that decode. A read that
 * joined a burst decodes its reply plainly (a burst of decodes ahead would only delay it).
 * Decoding ahead is paid for by the sequential `@Cacheable, RedisStore` rows of
 * `bench/redis-hit.mjs` (a reply decoded once it arrives costs several times its hot cost).
 */

import type { ReadResult } from '../../cache-store.js';
import { SerializationError } from '../../errors.js';
import type { Serializer } from '../../serializer.js';
import { decodeEntry, readGeneration, type DecodedEntry } from './entry-codec.js';
import { RecentEntries } from './recent-entries.js';

/** {@link ReadResult} plus the absolute expiry the writer recorded (0: none), for a tiered L1. */
export interface RedisReadResult extends ReadResult {
  /** When the entry expires in Redis, in ms since the epoch; 0 when it has no TTL or there is no entry. */
  expiresAt: number;
}

/** Decodes the reply to one read (throws what the serializer throws). */
export type ReplyDecoder = (data: Buffer) => DecodedEntry;

/** What the replies need from their store. */
export interface EntryRepliesHost {
  readonly name: string;
  /** The store's serializer now (the runtime's may replace the default when the store is attached). */
  serializer(): Serializer;
  /** Reports a reply that did not decode. */
  report(error: SerializationError): void;
}

/** See the file comment. */
export class EntryReplies {
  /** The bytes last read per key, decoded again while the next lone read of the key is out. */
  private readonly recent: RecentEntries;
  /** Decodes a reply, remembering nothing. */
  readonly plain: ReplyDecoder;

  constructor(private readonly host: EntryRepliesHost) {
    this.plain = (data) => decodeEntry(data, host.serializer());
    this.recent = new RecentEntries(this.plain);
  }

  /**
   * The decoder of the reply to a read of `key` just handed to the sender: decoding ahead for
   * a lone read (done now, while the command is on the wire), plain for one that joined a burst.
   */
  decoderFor(key: string, joinedBurst: boolean): ReplyDecoder {
    if (joinedBurst) return this.plain;
    const recent = this.recent;
    const guess = recent.guess(key);
    return (data) => recent.settle(key, data, guess);
  }

  /** The result of a read of `key` whose entry reply is `data` and whose versions are `versions`. */
  result(key: string, data: Buffer | null, versions: readonly number[], decode: ReplyDecoder = this.plain): RedisReadResult {
    if (data === null) return { entry: undefined, versions, expiresAt: 0 };
    try {
      const decoded = decode(data);
      return { entry: decoded.entry, versions, expiresAt: decoded.expiresAt };
    } catch (error) {
      this.host.report(
        new SerializationError(`${this.host.name}: cannot decode the entry under '${key}' (treated as a miss): ${(error as Error)?.message}`, { cause: error }),
      );
      // Bytes with our header but a corrupt value read as a tombstone, so the next populate
      // (whose lease is that generation) replaces them; foreign bytes read as no entry.
      const g = readGeneration(data);
      return { entry: g === undefined ? undefined : { g, d: 1 }, versions, expiresAt: 0 };
    }
  }
}
