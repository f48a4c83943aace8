/**
 * Many byte strings sent to a Lua script as one argument: each as a 4-byte big-endian length,
 * then its bytes. ioredis's cost grows with the number of arguments of a command (each is
 * flattened, measured and written on its own), so a burst of 100 writes sent as one argument
 * costs the client about as much as one write. {@link LUA_FRAMES} reads them back in Redis.
 */

/** Packs `fields` into one buffer (see the file comment). */
export function packFrames(fields: ReadonlyArray<Buffer | string>): Buffer {
  const lengths = new Array<number>(fields.length);
  let total = 0;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const n = typeof field === 'string' ? Buffer.byteLength(field) : field.length;
    lengths[i] = n;
    total += 4 + n;
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (let i = 0; i < fields.length; i++) {
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
