/**
 * A read's reply turned into its {@link RedisReadResult}: the entry decoded (`entry-codec.ts`),
 * or, when the bytes do not decode, a miss reported as a `SerializationError`.
 */

import type { ReadResult } from '../../cache-store.js';
import { SerializationError } from '../../errors.js';
import type { Serializer } from '../../serializer.js';
import { decodeEntry, readGeneration } from './entry-codec.js';

/** {@link ReadResult} plus the absolute expiry the writer recorded (0: none), for a tiered L1. */
export interface RedisReadResult extends ReadResult {
  /** When the entry expires in Redis, in ms since the epoch; 0 when it has no TTL or there is no entry. */
  expiresAt: number;
}

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
  constructor(private readonly host: EntryRepliesHost) {}

  /** The result of a read of `key` whose entry reply is `data` and whose versions are `versions`. */
  result(key: string, data: Buffer | null, versions: readonly number[]): RedisReadResult {
    if (data === null) return { entry: undefined, versions, expiresAt: 0 };
    try {
      const decoded = decodeEntry(data, this.host.serializer());
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
