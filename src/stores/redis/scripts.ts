import { createHash } from 'node:crypto';

/**
 * The store's Lua scripts. Each one touches only keys of one user (one hash tag, so one Cluster slot): the
 * keys it is given, plus session keys it builds from the user's session-key prefix (passed in ARGV, with the
 * same tag). Scripts return integers, strings and arrays only (no booleans: RESP3 would change them).
 */
export interface Script {
  readonly name: string;
  readonly lua: string;
  readonly sha: string;
}

function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex') };
}

// Keeps the index alive at least as long as its longest-lived session; never shortens it.
const EXTEND = `
local function extend(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end
`;

/** KEYS: session, user snapshot. Returns {} or {session fields} or {session fields, snapshot}. */
export const getWithUser = script(
  'getWithUser',
  `
local s = redis.call('HGETALL', KEYS[1])
if #s == 0 then return {} end
local u = redis.call('GET', KEYS[2])
if u then return {s, u} end
return {s}
`,
);

/** KEYS: session, index. ARGV: ttl, id, expiresAt, field, value, … Returns 1, or 0 if the id exists. */
export const create = script(
  'create',
  `${EXTEND}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
extend(KEYS[2], ARGV[1])
return 1
`,
);

/**
 * Compare-and-set renewal. KEYS: session, index. ARGV: version, lastSeenAt, expiresAt, ttl, id.
 * Returns 1, or 0 (nothing changed) when the session is gone or has another version.
 */
export const touch = script(
  'touch',
  `${EXTEND}
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'l', ARGV[2], 'e', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'v', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[5])
extend(KEYS[2], ARGV[4])
return 1
`,
);

/**
 * Compare-and-set rotation. KEYS: old session, new session, index. ARGV: version, old id, new id, ttl,
 * expiresAt, field, value, … Returns 1; 0 (nothing changed) when the old session is gone or has another
 * version; -1 (nothing changed) when the new id exists.
 */
export const replace = script(
  'replace',
  `${EXTEND}
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
extend(KEYS[3], ARGV[4])
return 1
`,
);

/** KEYS: session, index. ARGV: id. Returns the number of sessions removed (0 or 1). */
export const remove = script(
  'remove',
  `
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('DEL', KEYS[1])
`,
);

/**
 * KEYS: index. ARGV: session-key prefix. Returns {gone, id, fields, id, fields, …}: `gone` lists the ids
 * dropped from the index because their session has gone (its TTL ran out), so their pointers can go too.
 */
export const list = script(
  'list',
  `
local out, gone = {{}}, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = redis.call('HGETALL', ARGV[1] .. id)
  if #s == 0 then
    redis.call('ZREM', KEYS[1], id)
    gone[#gone + 1] = id
  else
    out[#out + 1] = id
    out[#out + 1] = s
  end
end
out[1] = gone
return out
`,
);

/**
 * Revoke-all. KEYS: index. ARGV: session-key prefix, and the id to keep (optional). Returns {removed, id, …}:
 * how many sessions were removed, then every id dropped from the index (so their pointers can go too).
 */
export const removeUser = script(
  'removeUser',
  `
local removed, ids = 0, {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    removed = removed + redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
    ids[#ids + 1] = id
  end
end
table.insert(ids, 1, removed)
return ids
`,
);

/**
 * Sweep of one user's index. KEYS: index. ARGV: session-key prefix, now, limit. Removes up to `limit`
 * sessions scored (expiresAt) at or before `now`. Returns {examined, removed, id, …} with every id dropped.
 */
export const sweep = script(
  'sweep',
  `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local removed = 0
for _, id in ipairs(ids) do
  removed = removed + redis.call('DEL', ARGV[1] .. id)
  redis.call('ZREM', KEYS[1], id)
end
local out = {#ids, removed}
for _, id in ipairs(ids) do out[#out + 1] = id end
return out
`,
);
