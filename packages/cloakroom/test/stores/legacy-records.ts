// Session values as the stores wrote them before sessions had `authTime` and `amr`, for the conformance
// suite's "old record" scenario (StoreHandle.writeLegacy). Each is the documented older layout: Redis
// without flag 4 and its trailing fields, memcached format 1.
import { encodeRecord as encodeRedis } from '../../src/stores/redis/record.js';
import { encodeRecord as encodeMemcached } from '../../src/stores/memcached/record.js';
import type { SessionRecord } from '../../src/stores/types.js';

/** The Redis value of `record` without the authentication fields: flag 4 clear, nothing after the IP. */
export function legacyRedisValue(record: SessionRecord): Buffer {
  const current = encodeRedis(record);
  const trailing = 6 + 1 + record.amr.join(' ').length;
  const old = Buffer.from(current.subarray(0, current.length - trailing));
  old[31] = old[31]! & ~4;
  return old;
}

/** The memcached value of `record` in format 1: no authTime, no amr. */
export function legacyMemcachedValue(record: SessionRecord): Buffer {
  const current = encodeMemcached(record);
  const trailing = 8 + 2 + record.amr.join(' ').length;
  const old = Buffer.from(current.subarray(0, current.length - trailing));
  old[0] = 1;
  return old;
}
