/**
 * The Lua scripts of a RedisStore (each run by EVALSHA, loaded with EVAL when the server does
 * not know it yet: see `lua-script.ts`): conditional writes, lock release, the packed write of
 * a burst, and the version counters' creation and bumps.
 */

import { PENDING_COUNTER_BITS } from '../../cache-store.js';
import { LuaScript } from './lua-script.js';
import { LUA_FRAMES } from './packed-frames.js';

/**
 * Compare-and-set on the generation: writes ARGV[2] (PX ARGV[3] unless '0') only if the entry
 * under the key carries the generation bytes ARGV[1] at offset 3, or, when ARGV[1] is empty,
 * only if there is no cachekit entry under the key (foreign bytes count as none; ARGV[4] is the
 * entry magic).
 */
export const WRITE_IF = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '' then
  if cur and string.sub(cur, 1, 2) == ARGV[4] then return 0 end
elseif not cur or string.sub(cur, 4, 11) ~= ARGV[1] then
  return 0
end
if ARGV[3] == '0' then
  redis.call('SET', KEYS[1], ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return 1`);

/** Compare-and-delete: releases a lock only for the token that holds it. */
export const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`);

/**
 * Conditional tombstone (see `CacheStore.writeTombstone`): writes ARGV[1] (PX ARGV[2] unless
 * '0') unless the key holds a cachekit entry (magic ARGV[4]) with the pending flag (2) whose
 * writer (generation / 2^21) is not ARGV[3] ('' : any writer's pending entry is kept).
 */
export const WRITE_TOMBSTONE = new LuaScript(`
local cur = redis.call('GET', KEYS[1])
if cur and string.len(cur) >= 11 and string.sub(cur, 1, 2) == ARGV[4] and bit.band(string.byte(cur, 3), 2) == 2 then
  if ARGV[3] == '' then return 0 end
  local g = struct.unpack('>d', string.sub(cur, 4, 11))
  if math.floor(g / ${2 ** PENDING_COUNTER_BITS}) ~= tonumber(ARGV[3]) then return 0 end
end
if ARGV[2] == '0' then
  redis.call('SET', KEYS[1], ARGV[1])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1`);

/**
 * Many SETs in one command (the writes of a burst, see `command-burst.ts`). ARGV[1]: frames
 * (see `packed-frames.ts`) of key, value and PX (ms, '0' for none) of each, keys with the
 * client's key prefix. The keys travel inside the one argument (the client pays per argument);
 * the script is only used on a single server, never on a Cluster, so they need no hash slot.
 */
export const SET_MANY = new LuaScript(`${LUA_FRAMES}
local f = frames(ARGV[1])
for i = 1, #f, 3 do
  if f[i + 2] == '0' then redis.call('SET', f[i], f[i + 1]) else redis.call('SET', f[i], f[i + 1], 'PX', f[i + 2]) end
end
return #f / 3`);

/**
 * Creates each missing counter KEYS[i] at its random base ARGV[i] (`SET NX`: a counter that
 * exists keeps its value) and returns every counter's value.
 */
export const START_COUNTERS = new LuaScript(`
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[i], 'NX')
  out[i] = redis.call('GET', k)
end
return out`);

/** Increments each counter KEYS[i], creating a missing one at its random base ARGV[i] first. */
export const BUMP = new LuaScript(`
local out = {}
for i, k in ipairs(KEYS) do
  redis.call('SET', k, ARGV[i], 'NX')
  out[i] = redis.call('INCR', k)
end
return out`);
