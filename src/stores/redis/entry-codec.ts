/**
 * The byte layout of a {@link StoredEntry} in Redis.
 *
 * ```
 * offset 0     0xCB                      magic ("cachekit")
 * offset 1     0x01                      format version
 * offset 2     flags                     1 tombstone (d), 2 write pending (w), 4 has n, 8 has t,
 *                                        16 has v, 32 has expiry, 64 has times
 * offset 3     float64 BE                generation g (an integer below 2^53)
 * [float64 BE  expiresAt]                absolute expiry, ms since the epoch (flag 32)
 * [float64 BE  s, r, q]                  stale-after, refresh-after, grace end; 0 for none (flag 64)
 * [float64 BE  n]                        namespace version (flag 4)
 * [uint16 BE count, then per tag:        tag versions (flag 8)
 *    uint16 BE length, UTF-8 tag key, float64 BE version]
 * [rest        serializer bytes of v]    the value (flag 16; absent means v is undefined)
 * ```
 *
 * The generation sits at a fixed place (bytes 3..10), so the compare-and-set Lua script
 * compares 8 bytes and never decodes the value. The expiry travels with the entry so a
 * tiered L1 copy never outlives its Redis original. Only the value goes through the
 * serializer; everything else is read with fixed-size reads.
 */

import type { Serializer } from '../../serializer.js';
import { SerializationError } from '../../errors.js';
import type { StoredEntry } from '../../cache-store.js';

/** First byte of every encoded entry. */
export const ENTRY_MAGIC = 0xcb;
/** Second byte: the layout version. */
export const ENTRY_FORMAT = 0x01;
/** Byte offset of the 8 generation bytes. */
export const GENERATION_OFFSET = 3;
/** Length of the fixed header (magic, format, flags, generation). */
export const HEADER_LENGTH = 11;

const TOMBSTONE = 1;
const WRITE_PENDING = 2;
const HAS_N = 4;
const HAS_T = 8;
const HAS_V = 16;
const HAS_EXPIRY = 32;
const HAS_TIMES = 64;
const KNOWN_FLAGS = 127;

/** A decoded entry and its absolute expiry (0: none). */
export interface DecodedEntry {
  entry: StoredEntry;
  /** Absolute expiry in ms since the epoch as the writer saw it, 0 for none. */
  expiresAt: number;
}

/** The 8 bytes that encode a generation (what the compare-and-set script compares). */
export function generationBytes(g: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeDoubleBE(g, 0);
  return out;
}

/**
 * Encodes an entry. @param expiresAt absolute expiry in ms since the epoch, 0 for none
 * @throws SerializationError when the serializer cannot encode the value
 */
export function encodeEntry(entry: StoredEntry, expiresAt: number, serializer: Serializer): Buffer {
  let flags = 0;
  let length = HEADER_LENGTH;
  if (entry.d === 1) flags |= TOMBSTONE;
  if (entry.w === 1) flags |= WRITE_PENDING;
  if (expiresAt > 0) {
    flags |= HAS_EXPIRY;
    length += 8;
  }
  if (entry.s !== undefined) {
    flags |= HAS_TIMES;
    length += 24;
  }
  if (entry.n !== undefined) {
    flags |= HAS_N;
    length += 8;
  }
  let tagKeys: Buffer[] | undefined;
  let tagVersions: number[] | undefined;
  if (entry.t !== undefined) {
    flags |= HAS_T;
    tagKeys = [];
    tagVersions = [];
    length += 2;
    for (const tag in entry.t) {
      const bytes = Buffer.from(tag, 'utf8');
      if (bytes.length > 0xffff) throw new SerializationError(`tag key too long to encode (${bytes.length} bytes)`);
      tagKeys.push(bytes);
      tagVersions.push(entry.t[tag]!);
      length += 2 + bytes.length + 8;
    }
    if (tagKeys.length > 0xffff) throw new SerializationError(`too many tags to encode (${tagKeys.length})`);
  }
  let payload: Buffer | undefined;
  if (entry.v !== undefined && entry.d !== 1) {
    flags |= HAS_V;
    let encoded: Buffer | string;
    try {
      encoded = serializer.serialize(entry.v);
    } catch (error) {
      throw error instanceof SerializationError
        ? error
        : new SerializationError(`the ${serializer.name} serializer cannot encode the value`, { cause: error });
    }
    if (typeof encoded !== 'string' && !Buffer.isBuffer(encoded)) {
      throw new SerializationError(`the ${serializer.name} serializer returned neither a Buffer nor a string`);
    }
    payload = typeof encoded === 'string' ? Buffer.from(encoded, 'utf8') : encoded;
    length += payload.length;
  }
  const out = Buffer.allocUnsafe(length);
  out[0] = ENTRY_MAGIC;
  out[1] = ENTRY_FORMAT;
  out[2] = flags;
  out.writeDoubleBE(entry.g, GENERATION_OFFSET);
  let at = HEADER_LENGTH;
  if (flags & HAS_EXPIRY) at = out.writeDoubleBE(expiresAt, at);
  if (flags & HAS_TIMES) {
    at = out.writeDoubleBE(entry.s!, at);
    at = out.writeDoubleBE(entry.r ?? 0, at);
    at = out.writeDoubleBE(entry.q ?? 0, at);
  }
  if (flags & HAS_N) at = out.writeDoubleBE(entry.n!, at);
  if (tagKeys !== undefined) {
    at = out.writeUInt16BE(tagKeys.length, at);
    for (let i = 0; i < tagKeys.length; i++) {
      const bytes = tagKeys[i]!;
      at = out.writeUInt16BE(bytes.length, at);
      at += bytes.copy(out, at);
      at = out.writeDoubleBE(tagVersions![i]!, at);
    }
  }
  if (payload !== undefined) payload.copy(out, at);
  return out;
}

/** Whether bytes start with this layout's magic and version (anything else is foreign). */
export function isEncodedEntry(data: Buffer): boolean {
  return data.length >= HEADER_LENGTH && data[0] === ENTRY_MAGIC && data[1] === ENTRY_FORMAT;
}

/**
 * Decodes bytes written by {@link encodeEntry}. Tag records are built without a prototype
 * chain lookup (`__proto__` is an ordinary key), so hostile bytes cannot change a prototype.
 * @throws SerializationError on foreign, truncated or corrupt bytes
 */
export function decodeEntry(data: Buffer, serializer: Serializer): DecodedEntry {
  if (!isEncodedEntry(data)) throw new SerializationError('bytes under the key are not a cachekit entry');
  const flags = data[2]!;
  if (flags & ~KNOWN_FLAGS) throw new SerializationError(`unknown entry flags ${flags}`);
  const entry: StoredEntry = { g: data.readDoubleBE(GENERATION_OFFSET) };
  if (!Number.isSafeInteger(entry.g)) throw new SerializationError('corrupt generation in a cachekit entry');
  let expiresAt = 0;
  let at = HEADER_LENGTH;
  try {
    if (flags & HAS_EXPIRY) {
      expiresAt = data.readDoubleBE(at);
      at += 8;
    }
    if (flags & HAS_TIMES) {
      entry.s = data.readDoubleBE(at);
      const r = data.readDoubleBE(at + 8);
      const q = data.readDoubleBE(at + 16);
      if (r !== 0) entry.r = r;
      if (q !== 0) {
        entry.q = q;
        entry.b = 0; // process-local backoff of a stale entry (see StoredEntry.b)
      }
      at += 24;
    }
    if (flags & HAS_N) {
      entry.n = data.readDoubleBE(at);
      at += 8;
    }
    if (flags & HAS_T) {
      const count = data.readUInt16BE(at);
      at += 2;
      const t: Record<string, number> = {};
      for (let i = 0; i < count; i++) {
        const len = data.readUInt16BE(at);
        at += 2;
        if (at + len + 8 > data.length) throw new RangeError('tag runs past the end');
        const tag = data.toString('utf8', at, at + len);
        at += len;
        Object.defineProperty(t, tag, { value: data.readDoubleBE(at), enumerable: true, writable: true, configurable: true });
        at += 8;
      }
      entry.t = t;
    }
  } catch (error) {
    throw new SerializationError('truncated cachekit entry header', { cause: error });
  }
  if (flags & TOMBSTONE) entry.d = 1;
  if (flags & WRITE_PENDING) entry.w = 1;
  if (flags & HAS_V) entry.v = serializer.deserializeFrom !== undefined ? serializer.deserializeFrom(data, at) : serializer.deserialize(data.subarray(at));
  else if (at !== data.length) throw new SerializationError('trailing bytes after a cachekit entry without a value');
  return { entry, expiresAt };
}

/** The generation of bytes that carry this layout's header, or undefined (foreign bytes, corrupt generation). */
export function readGeneration(data: Buffer): number | undefined {
  if (!isEncodedEntry(data)) return undefined;
  const g = data.readDoubleBE(GENERATION_OFFSET);
  return Number.isSafeInteger(g) ? g : undefined;
}
