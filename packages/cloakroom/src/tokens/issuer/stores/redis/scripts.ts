import { createHash } from 'node:crypto';
import type { Script } from '../../../../stores/redis/scripts.js';

// Each script touches one key (KEYS[1]), and returns integers, strings and arrays only (no booleans: RESP3
// would change them). All are writes or read-then-write, so they run as EVAL, in issue order (see Script).
function script(name: string, lua: string): Script {
  return { name, lua, sha: createHash('sha1').update(lua).digest('hex'), write: true };
}

/** KEYS: family. ARGV: ttl, then field/value pairs. Returns 1, or 0 (nothing written) if it exists. */
export const createFamily = script(
  'issuer.createFamily',
  `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`,
);

/**
 * Rotation. KEYS: family. ARGV: used token id, now, next token id, next token's packed value. Marks the used
 * token used (only if it exists and was unused) and stores its successor; returns 1, or 0 and changes
 * nothing. One script on one key: of any number of concurrent rotations, exactly one wins.
 */
export const rotate = script(
  'issuer.rotate',
  `
if redis.call('HEXISTS', KEYS[1], 't:' .. ARGV[1]) == 0 then return 0 end
if redis.call('HSETNX', KEYS[1], 'u:' .. ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 't:' .. ARGV[3], ARGV[4])
return 1
`,
);

/**
 * KEYS: family. ARGV: now, reason, session id to spare ('' for none). Returns 1 (revoked), 0 (already
 * revoked, or spared) or -1 (no such family: gone, so its index entry can go too).
 */
export const revoke = script(
  'issuer.revoke',
  `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'ra') == 1 then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', KEYS[1], 's') == ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'ra', ARGV[1], 'rr', ARGV[2])
return 1
`,
);

/**
 * KEYS: family. ARGV: before. Deletes the family if it ends at or before `before`; returns {1, token ids…}
 * (so their pointers can go), {0} when it ends later, {} when it is already gone.
 */
export const dropExpired = script(
  'issuer.dropExpired',
  `
local ends = redis.call('HGET', KEYS[1], 'ae')
if not ends then return {} end
if tonumber(ends) > tonumber(ARGV[1]) then return {0} end
local result = {1}
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 2) == 't:' then table.insert(result, string.sub(field, 3)) end
end
redis.call('DEL', KEYS[1])
return result
`,
);

/** KEYS: index set. ARGV: family id, ttl. Adds the id; keeps the set alive at least `ttl`, never shortens it. */
export const addToIndex = script(
  'issuer.addToIndex',
  `
redis.call('SADD', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`,
);
