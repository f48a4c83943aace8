/**
 * Many byte strings sent to a Lua script as one argument: each as a 4-byte big-endian length,
 * then its bytes. ioredis's cost grows with the number of arguments of a command (each is
 * flattened, measured and written on its own), so a burst of 100 writes sent as one argument
 * costs the client about as much as one write. {@link LUA_FRAMES} reads them back in Redis.
 *
 * One argument is bounded by the server's `proto-max-bulk-len` (512 MB by default, 1 MB at the
 * least): past it Redis refuses the whole command. {@link packFrameChunks} therefore cuts a
 * long list into frames of at most {@link MAX_FRAME_BYTES}, each sent as its own command. The
 * RedisStore's write bursts (SET_MANY) and the write-behind journal (append) both go through it.
 */

/** Most bytes in one frame: half the smallest `proto-max-bulk-len` Redis accepts (1 MB), so any server takes it. */
export const MAX_FRAME_BYTES = 512 * 1024;

/** One frame of {@link packFrameChunks}: the packed bytes and how many groups of fields it holds. */
export interface FrameChunk {
  frame: Buffer;
  groups: number;
}

/** Packs `fields` into one buffer (see the file comment). */
export function packFrames(fields: ReadonlyArray<Buffer | string>): Buffer {
  return packRange(fields, 0, fields.length, lengthsOf(fields));
}

/**
 * Packs `fields` into frames of at most `maxBytes` each, in order, never splitting a group of
 * `group` consecutive fields (a SET's key, value and TTL stay in one frame). A group larger
 * than `maxBytes` by itself goes alone in its frame (Redis then judges it on its own).
 */
export function packFrameChunks(fields: ReadonlyArray<Buffer | string>, group = 1, maxBytes = MAX_FRAME_BYTES): FrameChunk[] {
  const lengths = lengthsOf(fields);
  const chunks: FrameChunk[] = [];
  let start = 0;
  let bytes = 0;
  let groups = 0;
  for (let i = 0; i < fields.length; i += group) {
    let size = 0;
    for (let j = i; j < i + group && j < fields.length; j++) size += 4 + lengths[j]!;
    if (groups > 0 && bytes + size > maxBytes) {
      chunks.push({ frame: packRange(fields, start, i, lengths), groups });
      start = i;
      bytes = 0;
      groups = 0;
    }
    bytes += size;
    groups++;
  }
  if (groups > 0 || chunks.length === 0) chunks.push({ frame: packRange(fields, start, fields.length, lengths), groups });
  return chunks;
}

function lengthsOf(fields: ReadonlyArray<Buffer | string>): number[] {
  const lengths = new Array<number>(fields.length);
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    lengths[i] = typeof field === 'string' ? Buffer.byteLength(field) : field.length;
  }
  return lengths;
}

function packRange(fields: ReadonlyArray<Buffer | string>, from: number, to: number, lengths: number[]): Buffer {
  let total = 0;
  for (let i = from; i < to; i++) total += 4 + lengths[i]!;
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = from; i < to; i++) {
    const field = fields[i]!;
    at = out.writeUInt32BE(lengths[i]!, at);
    if (typeof field === 'string') out.write(field, at);
    else field.copy(out, at);
    at += lengths[i]!;
  }
  return out;
}

/** Lua: `frames(s)` returns the byte strings packed in `s` by {@link packFrames}, as a table. Prepend it to a script. */
export const LUA_FRAMES = `
local function frames(s)
  local out, pos, size = {}, 1, #s
  while pos <= size do
    local n = struct.unpack('>I4', s, pos)
    out[#out + 1] = string.sub(s, pos + 4, pos + 3 + n)
    pos = pos + 4 + n
  end
  return out
end
`;
