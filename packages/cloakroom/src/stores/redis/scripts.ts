// The store's Lua scripts. Each one touches keys of one tag only (one hash tag, so one Cluster slot): the
// keys it is given, plus keys it builds from prefixes passed in ARGV with the same tag (a session key from
// an id, an index or snapshot key from the user id inside a session record, see record.ts). Scripts return
// integers, strings and arrays only (no booleans: RESP3 would change them).
import { defineScript as script } from '../../lib/redis/script.js';

const WRITE = { write: true };

// The user id of a packed session record (2-byte length at offset 32, then the id).
const USER_OF = `
local function user_of(s)
  local n = string.byte(s, 33) * 256 + string.byte(s, 34)
  return string.sub(s, 35, 34 + n)
end
`;

// Keeps the index alive at least as long as its longest-lived session; never shortens it.
const EXTEND = `
local function extend(key, ttl)
  if redis.call('PTTL', key) < tonumber(ttl) then redis.call('PEXPIRE', key, ttl) end
end
`;

/** KEYS: session. ARGV: snapshot-key prefix. Returns {} or {record} or {record, snapshot}. */
export const getWithUser = script(
  'getWithUser',
  `${USER_OF}
local s = redis.call('GET', KEYS[1])
if not s then return {} end
local u = redis.call('GET', ARGV[1] .. user_of(s))
if u then return {s, u} end
return {s}
`,
);

/** KEYS: session, index. ARGV: ttl, id, expiresAt, record. Returns 1, or 0 if the id exists. */
export const create = script(
  'create',
  `${EXTEND}
if not redis.call('SET', KEYS[1], ARGV[4], 'NX', 'PX', ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
extend(KEYS[2], ARGV[1])
return 1
`,
  WRITE,
);

/**
 * Compare-and-set renewal, in place. KEYS: session. ARGV: index-key prefix, id, version (6 bytes), version + 1
 * (6 bytes), lastSeenAt and expiresAt (12 bytes), ttl, expiresAt. Returns 1, or 0 (nothing changed) when
 * the session is gone or has another version.
 */
export const touch = script(
  'touch',
  `${USER_OF}${EXTEND}
local s = redis.call('GET', KEYS[1])
if not s or string.sub(s, 2, 7) ~= ARGV[3] then return 0 end
redis.call('SETRANGE', KEYS[1], 1, ARGV[4])
redis.call('SETRANGE', KEYS[1], 13, ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
local index = ARGV[1] .. user_of(s)
redis.call('ZADD', index, 'XX', ARGV[7], ARGV[2])
extend(index, ARGV[6])
return 1
`,
  WRITE,
);

/**
 * Compare-and-set rotation. KEYS: old session, new session, index. ARGV: version (6 bytes), old id, new id,
 * ttl, expiresAt, record, user id. Returns 1; 0 (nothing changed) when the old session is gone or has another
 * version; -1 (nothing changed) when the new id exists; -2 (nothing changed) when the old session belongs
 * to another user.
 */
export const replace = script(
  'replace',
  `${USER_OF}${EXTEND}
local s = redis.call('GET', KEYS[1])
if not s or string.sub(s, 2, 7) ~= ARGV[1] then return 0 end
if user_of(s) ~= ARGV[7] then return -2 end
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[4])
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
extend(KEYS[3], ARGV[4])
return 1
`,
  WRITE,
);

/** KEYS: session. ARGV: index-key prefix, id. Returns the number of sessions removed (0 or 1). */
export const remove = script(
  'remove',
  `${USER_OF}
local s = redis.call('GET', KEYS[1])
if not s then return 0 end
redis.call('ZREM', ARGV[1] .. user_of(s), ARGV[2])
return redis.call('DEL', KEYS[1])
`,
  WRITE,
);

/**
 * KEYS: index. ARGV: session-key prefix. Returns {id, record, id, record, …}, and drops from the index the
 * ids whose session has gone (its TTL ran out).
 */
export const list = script(
  'list',
  `
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local s = redis.call('GET', ARGV[1] .. id)
  if s then
    out[#out + 1] = id
    out[#out + 1] = s
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
`,
);

/**
 * Revoke-all. KEYS: index. ARGV: session-key prefix, and the id to keep (optional). Returns how many
 * sessions were removed; every other id leaves the index.
 */
export const removeUser = script(
  'removeUser',
  `
local removed = 0
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ARGV[2] then
    removed = removed + redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
  end
end
return removed
`,
  WRITE,
);

/**
 * Sweep of one user's index. KEYS: index. ARGV: session-key prefix, now, limit. Removes up to `limit`
 * sessions scored (expiresAt) at or before `now`. Returns {examined, removed}.
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
return {#ids, removed}
`,
  WRITE,
);
