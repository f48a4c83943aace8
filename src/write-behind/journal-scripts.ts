import { LuaScript, type ScriptClient } from '../stores/lua-script.js';
import { LUA_FRAMES } from '../stores/packed-frames.js';

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

/** Statuses of an ioredis client that will become `ready` by themselves. */
const CONNECTING = new Set(['connecting', 'connect', 'reconnecting']);

/**
 * Waits until a connecting client is ready (a store-owned connection refuses commands before,
 * it has no offline queue), at most `timeoutMs`; then the next command tells how it went.
 */
export function whenReady(client: JournalClient, timeoutMs: number): Promise<void> {
  if (client.status === undefined || !CONNECTING.has(client.status) || !client.once || !client.removeListener) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.removeListener!('ready', done);
      client.removeListener!('end', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once!('ready', done);
    client.once!('end', done);
  });
}


/**
 * Appends payloads to the stream and delivers them at once to this consumer (XREADGROUP in
 * the same atomic script), so they sit in its pending list from the start: acknowledged
 * after the method succeeds, claimable by others if this process dies. If the group is
 * missing (the stream was deleted or the group destroyed), it is created at `0`; entries
 * older than ours that nobody had delivered come back as `extra` for this process to replay.
 * Then acknowledges and deletes the entries to drop (those a compacted entry replaces), in the
 * same atomic step.
 * KEYS: stream. ARGV: group, consumer, the payloads as frames (see `packed-frames.ts`: one
 * argument, however many), id to drop... Returns { ids joined by spaces, extra: [id, payload, ...] }.
 */
export const APPEND_SCRIPT = new LuaScript(`${LUA_FRAMES}
local group, consumer = ARGV[1], ARGV[2]
local ids, mine = {}, {}
for _, payload in ipairs(frames(ARGV[3])) do
  local id = redis.call('XADD', KEYS[1], '*', 'p', payload)
  ids[#ids + 1] = id
  mine[id] = true
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
for i = 4, #ARGV, 1000 do
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
 * KEYS: stream. ARGV: group, the ids joined by spaces (one argument, however many). Returns the
 * number acknowledged.
 */
export const ACK_SCRIPT = new LuaScript(`
local ids = {}
for id in string.gmatch(ARGV[2], '%S+') do ids[#ids + 1] = id end
local n = 0
for i = 1, #ids, 1000 do
  n = n + redis.call('XACK', KEYS[1], ARGV[1], unpack(ids, i, math.min(i + 999, #ids)))
end
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
if pending[1] == 0 then
  redis.call('XTRIM', KEYS[1], 'MAXLEN', 0)
else
  redis.call('XTRIM', KEYS[1], 'MINID', pending[2])
  if redis.call('XLEN', KEYS[1]) > 2 * pending[1] + 10000 then
    for i = 1, #ids, 1000 do redis.call('XDEL', KEYS[1], unpack(ids, i, math.min(i + 999, #ids))) end
  end
end
return n
`);

/**
 * Heartbeat: resets the idle time of every entry this consumer holds (XCLAIM to itself), so
 * that only a dead process's entries go idle long enough to be claimed. Entries another
 * consumer has claimed meanwhile are left alone (only this consumer's pending list is read).
 * KEYS: stream. ARGV: group, consumer. Returns how many entries were refreshed.
 */
export const HEARTBEAT_SCRIPT = new LuaScript(`
local owned = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1000000, ARGV[2])
for i = 1, #owned, 1000 do
  local args = { 'XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0 }
  for j = i, math.min(i + 999, #owned) do args[#args + 1] = owned[j][1] end
  args[#args + 1] = 'JUSTID'
  redis.call(unpack(args))
end
return #owned
`);

/**
 * Removes consumers of the group that hold nothing and have been idle longer than ARGV[3] ms
 * (crashed processes whose entries were claimed), except ARGV[2] (this consumer).
 * KEYS: stream. ARGV: group, consumer, idleMs. Returns how many were removed.
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
    removed = removed + 1
  end
end
return removed
`);

/**
 * Takes (or extends, if already ours) the recovery lease: one process at a time claims idle
 * entries, so two claimers never replay old and new writes of one key side by side.
 * KEYS: lock. ARGV: owner, ttlMs. Returns 1 if held.
 */
export const ACQUIRE_LEASE_SCRIPT = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
`);

/** Releases the recovery lease if it is still ours. KEYS: lock. ARGV: owner. */
export const RELEASE_LEASE_SCRIPT = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);
