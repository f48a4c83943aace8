import { LuaScript, type ScriptClient } from '../stores/redis/lua-script.js';
import { LUA_FRAMES } from '../stores/redis/packed-frames.js';

/**
 * The part of an ioredis client (Redis or Cluster) the journal uses. Named commands only:
 * ioredis 6's generic `callBuffer` loses the command name on a client with
 * `enableAutoPipelining`, and the journal must work on whatever client the user passed.
 */
export interface JournalClient extends ScriptClient {
  xgroup(...args: Array<string | Buffer | number>): Promise<unknown>;
  xautoclaimBuffer(...args: Array<string | Buffer | number>): Promise<unknown>;
  /** ioredis connection status (`'ready'` once commands can be sent). */
  readonly status?: string;
  once?(event: string, listener: (...args: any[]) => void): unknown;
  removeListener?(event: string, listener: (...args: any[]) => void): unknown;
}

/**
 * Appends payloads to the stream and delivers them at once to this consumer (XREADGROUP in
 * the same atomic script), so they sit in its pending list from the start: acknowledged
 * after the method succeeds, claimable by others if this process dies. If the group is
 * missing (the stream was deleted or the group destroyed), it is created at `0`; entries
 * older than ours that nobody had delivered come back as `extra` for this process to replay.
 * With keys (last-wins methods), records each entry's id as the newest accepted write of its
 * key in the `latest` hash (stream ids only grow), so that any process can tell an older
 * replay from a newer write. Then acknowledges and deletes the entries to drop (those a
 * compacted entry replaces), in the same atomic step.
 * KEYS: stream, latest hash. ARGV: group, consumer, frames (see `packed-frames.ts`: payloads,
 * or payload and key pairs), 'k' (pairs) or 'p' (payloads only), id to drop... Returns
 * { ids joined by spaces, extra: [id, payload, ...] }.
 */
export const APPEND_SCRIPT = new LuaScript(`${LUA_FRAMES}
local group, consumer = ARGV[1], ARGV[2]
local f = frames(ARGV[3])
local step = ARGV[4] == 'k' and 2 or 1
local ids, mine = {}, {}
for i = 1, #f, step do
  local id = redis.call('XADD', KEYS[1], '*', 'p', f[i])
  ids[#ids + 1] = id
  mine[id] = true
  if step == 2 then redis.call('HSET', KEYS[2], f[i + 1], id) end
end
local extra, seen, created = {}, 0, false
while seen < #ids do
  local r = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', #ids - seen, 'STREAMS', KEYS[1], '>')
  if type(r) == 'table' and r.err then
    if created or not string.find(r.err, 'NOGROUP') then return redis.error_reply(r.err) end
    redis.call('XGROUP', 'CREATE', KEYS[1], group, '0')
    created = true
  elseif not r then
    return redis.error_reply('ERR cachekit journal: appended entries were not delivered')
  else
    for _, e in ipairs(r[1][2]) do
      if mine[e[1]] then
        seen = seen + 1
      else
        extra[#extra + 1] = e[1]
        extra[#extra + 1] = e[2][2]
      end
    end
  end
end
for i = 5, #ARGV, 1000 do
  local last = math.min(i + 999, #ARGV)
  redis.call('XACK', KEYS[1], group, unpack(ARGV, i, last))
  redis.call('XDEL', KEYS[1], unpack(ARGV, i, last))
end
return { table.concat(ids, ' '), extra }
`);

/**
 * Acknowledges entries and trims the stream below the oldest entry still pending (every
 * entry is delivered when it is added, so older ones are all acknowledged): the stream only
 * holds entries not written yet. XTRIM drops whole nodes cheaply; XDEL is used as well only
 * when an old entry stuck in a retry keeps the trim point back and acknowledged entries pile up.
 * The `latest` hash loses a key once nothing older than its newest write can be pending (its
 * id is below the oldest pending entry), and goes whole when nothing is pending.
 * KEYS: stream, latest hash. ARGV: group, the ids joined by spaces (one argument, however
 * many), frames of (key, id) pairs of last-wins writes. Returns the number acknowledged.
 */
export const ACK_SCRIPT = new LuaScript(`${LUA_FRAMES}
local ids = {}
for id in string.gmatch(ARGV[2], '%S+') do ids[#ids + 1] = id end
local n = 0
for i = 1, #ids, 1000 do
  n = n + redis.call('XACK', KEYS[1], ARGV[1], unpack(ids, i, math.min(i + 999, #ids)))
end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
if pending[1] == 0 then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
  redis.call('DEL', KEYS[2])
else
  redis.call('XTRIM', KEYS[1], 'MINID', pending[2])
  if redis.call('XLEN', KEYS[1]) > 2 * pending[1] + 10000 then
    for i = 1, #ids, 1000 do redis.call('XDEL', KEYS[1], unpack(ids, i, math.min(i + 999, #ids))) end
  end
  if ARGV[3] and #ARGV[3] > 0 then
    local oldest = pending[2]
    local om, os = string.match(oldest, '(%d+)-(%d+)')
    om, os = tonumber(om), tonumber(os)
    local f = frames(ARGV[3])
    for i = 1, #f, 2 do
      local id = f[i + 1]
      if redis.call('HGET', KEYS[2], f[i]) == id then
        local m, s = string.match(id, '(%d+)-(%d+)')
        m, s = tonumber(m), tonumber(s)
        if m < om or (m == om and s < os) then redis.call('HDEL', KEYS[2], f[i]) end
      end
    end
  end
end
return n
`);

/**
 * The newest accepted write of each key (see APPEND_SCRIPT), for the check that an older
 * replay never overwrites a newer write. KEYS: latest hash. ARGV: keys. Returns ids ('' if none).
 */
export const LATEST_IDS_SCRIPT = new LuaScript(`
local out = {}
local got = redis.call('HMGET', KEYS[1], unpack(ARGV))
for i = 1, #ARGV do out[i] = got[i] or '' end
return out
`);

/**
 * Liveness: records that this consumer is alive until the server's time plus ARGV[2] ms (in a
 * hash, one field per consumer); ARGV[2] = '0' removes the record (the journal closed).
 * KEYS: alive hash. ARGV: consumer, leaseMs.
 */
export const ALIVE_SCRIPT = new LuaScript(`
if ARGV[2] == '0' then return redis.call('HDEL', KEYS[1], ARGV[1]) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
return now
`);

/**
 * The other consumers of the group that hold entries, with the time their liveness runs out
 * (0 when they never recorded one) and the server's time.
 * KEYS: stream, alive hash. ARGV: group, consumer. Returns { now, name, pending, aliveUntil, ... }.
 */
export const HOLDERS_SCRIPT = new LuaScript(`
local t = redis.call('TIME')
local out = { tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) }
local consumers = redis.pcall('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if type(consumers) ~= 'table' or consumers.err then return out end
for _, c in ipairs(consumers) do
  local name, pending
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] end
  end
  if name ~= ARGV[2] and pending > 0 then
    out[#out + 1] = name
    out[#out + 1] = tostring(pending)
    out[#out + 1] = redis.call('HGET', KEYS[2], name) or '0'
  end
end
return out
`);

/**
 * Takes over up to ARGV[4] entries of a dead consumer ARGV[3] at once (XCLAIM with no idle
 * time), oldest first; once it holds none, removes it from the group and the alive hash.
 * KEYS: stream, alive hash. ARGV: group, consumer (the taker), dead consumer, count.
 * Returns [id, fields] pairs like XCLAIM (entries deleted meanwhile left out).
 */
export const TAKE_OVER_SCRIPT = new LuaScript(`
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', tonumber(ARGV[4]), ARGV[3])
local claimed = {}
if #pending > 0 then
  local args = { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0 }
  for _, p in ipairs(pending) do args[#args + 1] = p[1] end
  claimed = redis.call(unpack(args))
end
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[3]) == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[3])
  redis.call('HDEL', KEYS[2], ARGV[3])
end
return claimed
`);

/**
 * Heartbeat, one page: resets the idle time of up to ARGV[4] entries this consumer holds (XCLAIM
 * to itself, JUSTID), the first ones after ARGV[3] in its pending list, so that only a dead
 * process's entries go idle long enough to be claimed. Entries another consumer has claimed
 * meanwhile are left alone (only this consumer's pending list is read, in the same atomic step).
 * One page costs Redis about 2.5 µs per entry (500 entries: ~1.2 ms); the client walks the pages
 * as separate commands, so other clients' commands run between them.
 * KEYS: stream. ARGV: group, consumer, start ('-', or '(' and the last id of the previous page), count.
 * Returns { how many entries were refreshed, the last id refreshed ('' if none) }.
 */
export const HEARTBEAT_SCRIPT = new LuaScript(`
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], '+', tonumber(ARGV[4]), ARGV[2])
if #owned == 0 then return { 0, '' } end
local args = { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0 }
for i = 1, #owned do args[#args + 1] = owned[i][1] end
args[#args + 1] = 'JUSTID'
redis.call(unpack(args))
return { #owned, owned[#owned][1] }
`);

/**
 * Removes consumers of the group that hold nothing and have been idle longer than ARGV[3] ms
 * (crashed processes whose entries were claimed), except ARGV[2] (this consumer), with their
 * liveness. KEYS: stream, alive hash. ARGV: group, consumer, idleMs. Returns how many were removed.
 */
export const PRUNE_CONSUMERS_SCRIPT = new LuaScript(`
local removed = 0
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local name, pending, idle
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] elseif c[i] == 'pending' then pending = c[i + 1] elseif c[i] == 'idle' then idle = c[i + 1] end
  end
  if name ~= ARGV[2] and pending == 0 and idle > tonumber(ARGV[3]) then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    redis.call('HDEL', KEYS[2], name)
    removed = removed + 1
  end
end
return removed
`);

/**
 * Takes (or extends, if already ours) the recovery lease: one process at a time claims
 * entries, so two claimers never replay old and new writes of one key side by side. A lease
 * held by ARGV[3] (a holder the caller found dead) is taken over.
 * KEYS: lock, alive hash. ARGV: owner, ttlMs, dead holder ('' for none). Returns 1 if held, else
 * { holder, holder's liveness (server time, '0' if none), server time }.
 */
export const ACQUIRE_LEASE_SCRIPT = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur or cur == ARGV[3] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
local t = redis.call('TIME')
return { cur, redis.call('HGET', KEYS[2], cur) or '0', tostring(tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) }
`);

/** Releases the recovery lease if it is still ours. KEYS: lock. ARGV: owner. */
export const RELEASE_LEASE_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
