/**
 * The bytes a RedisStore last read under each recently read key, so that a lone read of the
 * same key decodes them while its command is on the wire, not after the reply.
 *
 * A sequential hit waits ~100 µs for Redis with the CPU idle; decoding the reply once it
 * arrives costs several times its hot cost (the CPU has to wake up, its caches hold Redis's
 * work by then). So: right after a lone read is sent, {@link RecentEntries.guess} decodes the
 * bytes that came back last time for that key (hot, in the same turn); when the reply arrives
 * {@link RecentEntries.settle} compares it with those bytes and, when they are the same, hands
 * out that decode, else decodes the reply. Either way the caller gets a value decoded from
 * exactly the reply's bytes, and a fresh one per read (nothing decoded is ever handed out
 * twice).
 *
 * Bounded: at most 2 x {@link RECENT_KEYS} keys, and entries over {@link MAX_RECENT_BYTES}
 * are not kept (they are decoded after the reply, as before).
 */

import type { DecodedEntry } from './entry-codec.js';
import { RecentMap } from '../structures/recent-map.js';

/** Keys remembered (per generation; see RecentMap). */
export const RECENT_KEYS = 1024;
/** Largest entry whose bytes are kept, in bytes. */
export const MAX_RECENT_BYTES = 2048;

/** A decode made ahead of a reply, and the bytes it was made from. */
export interface DecodeGuess {
  readonly bytes: Buffer;
  readonly decoded: DecodedEntry;
}

/** See the file comment. */
export class RecentEntries {
  private readonly bytes = new RecentMap<Buffer>(RECENT_KEYS);

  constructor(private readonly decode: (data: Buffer) => DecodedEntry) {}

  /** Decodes the bytes last read under `key`. @returns null when there are none (or they no longer decode) */
  guess(key: string): DecodeGuess | null {
    const bytes = this.bytes.get(key);
    if (bytes === undefined) return null;
    try {
      return { bytes, decoded: this.decode(bytes) };
    } catch {
      return null;
    }
  }

  /**
   * The decoded reply `data` for `key` after {@link guess}: the guess's decode when it was made
   * from the same bytes, else a decode of `data` (which is then remembered for the next read).
   * Throws what the decoder throws.
   */
  settle(key: string, data: Buffer, guess: DecodeGuess | null): DecodedEntry {
    if (guess !== null && guess.bytes.equals(data)) return guess.decoded;
    const decoded = this.decode(data);
    // A copy: the reply may be a view of a larger buffer of the client's.
    if (data.length <= MAX_RECENT_BYTES) this.bytes.set(key, Buffer.from(data));
    return decoded;
  }
}
