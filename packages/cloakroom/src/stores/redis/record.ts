import type { SessionRecord } from '../types.js';
import { checkAuthFields, decodeAmr } from '../auth-fields.js';

/**
 * How a session is kept in Redis: one string, packed. One `GET` reads it (one bulk reply, the cheapest
 * for the client to parse), and it costs Redis about 300 bytes with a typical user agent, against 720 for a
 * hash that a user agent longer than `hash-max-listpack-value` (64) turns into a hashtable.
 *
 * | offset | bytes | value                                            |
 * | -----: | ----: | ------------------------------------------------ |
 * |      0 |     1 | format, 1                                        |
 * |      1 |     6 | version (unsigned, big-endian)                   |
 * |      7 |     6 | createdAt (ms)                                   |
 * |     13 |     6 | lastSeenAt                                       |
 * |     19 |     6 | expiresAt                                        |
 * |     25 |     6 | absoluteExpiresAt                                |
 * |     31 |     1 | flags: 1 = has a user agent, 2 = has an IP,      |
 * |        |       | 4 = has the authentication fields                |
 * |     32 |     2 | length of the user id (UTF-8)                    |
 * |     34 |     n | user id                                          |
 * |        |     1 | length of the secret hash, then its bytes        |
 * |        |     2 | length of the user agent, then it (if flag 1)    |
 * |        |     2 | length of the IP, then it (if flag 2)            |
 * |        |     6 | authTime (ms) (if flag 4)                        |
 * |        |     1 | length of amr (values joined by spaces), then it |
 *
 * The scripts rely on the fixed part: they compare the version at 1–6 and rewrite 1–6 and 13–24 in place
 * (`SETRANGE`) to renew a session, and read the user id at 32 to find the user's index and snapshot.
 * Numbers are 48-bit (times up to the year 10889); a null user agent or IP is a clear flag, so `''` and
 * `null` stay apart. A record written before the authentication fields has no flag 4 and reads back with
 * `authTime = createdAt`, `amr = []`; new records always carry them.
 */
export const FORMAT = 1;
const FIXED = 34;
const MAX_U48 = 2 ** 48 - 1;
const HAS_USER_AGENT = 1;
const HAS_IP = 2;
const HAS_AUTH = 4;

export function encodeRecord(record: SessionRecord): Buffer {
  const userIdBytes = Buffer.byteLength(record.userId, 'utf8');
  const hash = record.secretHash;
  // -2 for an absent one: it then takes no room, not even its 2-byte length.
  const userAgentBytes = record.userAgent === null ? -2 : Buffer.byteLength(record.userAgent, 'utf8');
  const ipBytes = record.ip === null ? -2 : Buffer.byteLength(record.ip, 'utf8');
  short(userIdBytes, 'userId');
  short(userAgentBytes, 'userAgent');
  short(ipBytes, 'ip');
  if (hash.length > 255) throw new TypeError('secretHash must be at most 255 bytes');
  // At most 8 values of 32 characters and 7 spaces: always under 255 bytes of ASCII.
  const amr = checkAuthFields(record).join(' ');
  const out = Buffer.allocUnsafe(
    FIXED + userIdBytes + 1 + hash.length + 2 + userAgentBytes + 2 + ipBytes + 6 + 1 + amr.length,
  );
  out[0] = FORMAT;
  out.writeUIntBE(u48(record.version, 'version'), 1, 6);
  out.writeUIntBE(u48(record.createdAt, 'createdAt'), 7, 6);
  out.writeUIntBE(u48(record.lastSeenAt, 'lastSeenAt'), 13, 6);
  out.writeUIntBE(u48(record.expiresAt, 'expiresAt'), 19, 6);
  out.writeUIntBE(u48(record.absoluteExpiresAt, 'absoluteExpiresAt'), 25, 6);
  out[31] = (record.userAgent === null ? 0 : HAS_USER_AGENT) | (record.ip === null ? 0 : HAS_IP) | HAS_AUTH;
  out.writeUInt16BE(userIdBytes, 32);
  let at = FIXED + out.write(record.userId, FIXED, 'utf8');
  out[at++] = hash.length;
  out.set(hash, at);
  at += hash.length;
  if (record.userAgent !== null) {
    out.writeUInt16BE(userAgentBytes, at);
    at += 2 + out.write(record.userAgent, at + 2, 'utf8');
  }
  if (record.ip !== null) {
    out.writeUInt16BE(ipBytes, at);
    at += 2 + out.write(record.ip, at + 2, 'utf8');
  }
  out.writeUIntBE(u48(record.authTime, 'authTime'), at, 6);
  out[at + 6] = amr.length;
  out.write(amr, at + 7, 'latin1');
  return out;
}

/** The record in a packed value (a Buffer from `GET`, or a script's reply); throws if it is malformed. */
export function decodeRecord(id: string, value: unknown): SessionRecord {
  const data = buffer(value);
  if (data.length < FIXED || data[0] !== FORMAT) throw malformed();
  const flags = data.readUInt8(31);
  const userEnd = FIXED + data.readUInt16BE(32);
  if (userEnd >= data.length) throw malformed();
  const hashEnd = userEnd + 1 + data.readUInt8(userEnd);
  if (hashEnd > data.length) throw malformed();
  let at = hashEnd;
  let userAgent: string | null = null;
  let ip: string | null = null;
  if (flags & HAS_USER_AGENT) {
    const end = at + 2 + data.readUInt16BE(at);
    userAgent = data.toString('utf8', at + 2, end);
    at = end;
  }
  if (flags & HAS_IP) {
    const end = at + 2 + data.readUInt16BE(at);
    ip = data.toString('utf8', at + 2, end);
    at = end;
  }
  const createdAt = data.readUIntBE(7, 6);
  let authTime = createdAt;
  let amr: readonly string[] = Object.freeze([]);
  if (flags & HAS_AUTH) {
    if (at + 7 > data.length) throw malformed();
    authTime = data.readUIntBE(at, 6);
    const end = at + 7 + data.readUInt8(at + 6);
    if (end > data.length) throw malformed();
    amr = decodeAmr(data.toString('latin1', at + 7, end));
    at = end;
  }
  if (at !== data.length) throw malformed();
  return {
    id,
    userId: data.toString('utf8', FIXED, userEnd),
    secretHash: new Uint8Array(data.subarray(userEnd + 1, hashEnd)),
    createdAt,
    lastSeenAt: data.readUIntBE(13, 6),
    expiresAt: data.readUIntBE(19, 6),
    absoluteExpiresAt: data.readUIntBE(25, 6),
    userAgent,
    ip,
    authTime,
    amr,
    version: data.readUIntBE(1, 6),
  };
}

/** A 48-bit field as the scripts compare and write it (6 bytes, big-endian). */
export function packU48(value: number): Buffer {
  const out = Buffer.allocUnsafe(6);
  out.writeUIntBE(value, 0, 6);
  return out;
}

/** Whether `value` fits a 48-bit field (a version or a time the store can hold). */
export function fitsU48(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= MAX_U48;
}

/** `value` if it fits a 48-bit field; anything else is caller misuse. */
export function u48(value: number, name: string): number {
  if (!fitsU48(value)) throw new TypeError(`${name} must be a whole number from 0 to 2^48 - 1`);
  return value;
}

function short(bytes: number, name: string): void {
  if (bytes > 0xffff) throw new TypeError(`${name} must be at most 65,535 bytes of UTF-8`);
}

function malformed(): Error {
  return new Error('malformed session record in Redis');
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
