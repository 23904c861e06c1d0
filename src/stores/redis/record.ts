import type { SessionRecord } from '../types.js';

/**
 * How a session is kept in Redis: a hash with one-letter fields, small enough for Redis's compact listpack
 * encoding. The user id is not stored (it is in the key's hash tag and in the pointer); `secretHash` is its
 * 32 raw bytes; a null user agent or IP is an absent field, so `''` and `null` stay apart.
 *
 * | field | value                |
 * |-------|----------------------|
 * | `h`   | secretHash (bytes)   |
 * | `c`   | createdAt            |
 * | `l`   | lastSeenAt           |
 * | `e`   | expiresAt            |
 * | `a`   | absoluteExpiresAt    |
 * | `v`   | version              |
 * | `g`   | userAgent, if any    |
 * | `i`   | ip, if any           |
 */
export function encodeRecord(record: SessionRecord): (string | Buffer)[] {
  const fields: (string | Buffer)[] = [
    'h',
    Buffer.from(record.secretHash),
    'c',
    integer(record.createdAt, 'createdAt'),
    'l',
    integer(record.lastSeenAt, 'lastSeenAt'),
    'e',
    integer(record.expiresAt, 'expiresAt'),
    'a',
    integer(record.absoluteExpiresAt, 'absoluteExpiresAt'),
    'v',
    integer(record.version, 'version'),
  ];
  if (record.userAgent !== null) fields.push('g', record.userAgent);
  if (record.ip !== null) fields.push('i', record.ip);
  return fields;
}

/**
 * The record from an `HGETALL` reply, or `null` when it is empty (no such session). A script returns it flat
 * (field, value, field, value, …); ioredis's `hgetallBuffer` as an object of Buffers.
 */
export function decodeRecord(id: string, userId: string, reply: unknown): SessionRecord | null {
  const fields = new Map<string, Buffer>();
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(text(reply[i]), buffer(reply[i + 1]));
  } else if (typeof reply === 'object' && reply !== null) {
    for (const [name, value] of Object.entries(reply)) fields.set(name, buffer(value));
  } else {
    throw new Error('unexpected reply from Redis');
  }
  if (fields.size === 0) return null;
  const number = (name: string): number => {
    const value = Number(text(fields.get(name)));
    if (!Number.isSafeInteger(value)) throw new Error(`malformed session record (field ${name})`);
    return value;
  };
  const secretHash = fields.get('h');
  if (secretHash === undefined) throw new Error('malformed session record (no secret hash)');
  const userAgent = fields.get('g');
  const ip = fields.get('i');
  return {
    id,
    userId,
    secretHash: new Uint8Array(secretHash),
    createdAt: number('c'),
    lastSeenAt: number('l'),
    expiresAt: number('e'),
    absoluteExpiresAt: number('a'),
    userAgent: userAgent === undefined ? null : userAgent.toString('utf8'),
    ip: ip === undefined ? null : ip.toString('utf8'),
    version: number('v'),
  };
}

/** A whole number of milliseconds (or a version) as Redis expects it; anything else is caller misuse. */
export function integer(value: number, name: string): string {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer`);
  return String(value);
}

export function buffer(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (typeof value === 'number') return Buffer.from(String(value), 'utf8');
  throw new Error('unexpected reply from Redis');
}

export function text(value: unknown): string {
  return buffer(value).toString('utf8');
}
