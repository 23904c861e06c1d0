import type { SessionRecord } from '../types.js';
import { checkAuthFields, decodeAmr } from '../auth-fields.js';

/**
 * How a session is kept in memcached: one value of a few dozen bytes plus its strings, in this layout
 * (big-endian; the session id is the key, so it is not repeated):
 *
 * | bytes | field                                                                   |
 * |-------|-------------------------------------------------------------------------|
 * | 1     | format, `2` (`1`: written before the authentication fields)             |
 * | 1 + n | secretHash: its length, then its raw bytes (32 for SHA-256)             |
 * | 8 × 5 | createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, version (float64)  |
 * | 2 + n | userId: UTF-8 byte length, then the bytes                               |
 * | 2 + n | userAgent, the same, or length `0xffff` alone for `null`                |
 * | 2 + n | ip, the same                                                            |
 * | 8     | authTime (float64; format 2 only)                                        |
 * | 2 + n | amr, its values joined by spaces, as a string (format 2 only)           |
 *
 * Float64 holds every safe integer exactly, and times and versions must be safe integers. A typical session
 * (32-byte hash, short user id, browser user agent, IPv6 address) takes about 200 bytes. A format 1 value
 * reads back with `authTime = createdAt`, `amr = []`.
 */
const FORMAT = 2;
const FORMAT_BEFORE_AUTH = 1;
const NULL_STRING = 0xffff;
const NUMBERS = ['createdAt', 'lastSeenAt', 'expiresAt', 'absoluteExpiresAt', 'version'] as const;

export function encodeRecord(record: SessionRecord): Buffer {
  const hash = record.secretHash;
  if (!(hash instanceof Uint8Array) || hash.length > 255) {
    throw new TypeError('secretHash must be a Uint8Array of at most 255 bytes');
  }
  const userId = text(record.userId, 'userId');
  const userAgent = record.userAgent === null ? null : text(record.userAgent, 'userAgent');
  const ip = record.ip === null ? null : text(record.ip, 'ip');
  const amr = Buffer.from(checkAuthFields(record).join(' '), 'latin1');
  const size =
    2 +
    hash.length +
    8 * NUMBERS.length +
    6 +
    userId.length +
    (userAgent?.length ?? 0) +
    (ip?.length ?? 0) +
    8 +
    2 +
    amr.length;
  const out = Buffer.alloc(size);
  let at = out.writeUInt8(FORMAT, 0);
  at = out.writeUInt8(hash.length, at);
  at += Buffer.from(hash.buffer, hash.byteOffset, hash.length).copy(out, at);
  for (const name of NUMBERS) {
    const value = record[name];
    if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer`);
    at = out.writeDoubleBE(value, at);
  }
  for (const bytes of [userId, userAgent, ip]) at = writeString(out, at, bytes);
  at = out.writeDoubleBE(record.authTime, at);
  writeString(out, at, amr);
  return out;
}

function writeString(out: Buffer, at: number, bytes: Buffer | null): number {
  if (bytes === null) return out.writeUInt16BE(NULL_STRING, at);
  const next = out.writeUInt16BE(bytes.length, at);
  return next + bytes.copy(out, next);
}

/** The record stored under `id`; a value that is not one (another format, cut short) is an error. */
export function decodeRecord(id: string, value: Buffer): SessionRecord {
  const reader = new Reader(value);
  const format = reader.byte();
  if (format !== FORMAT && format !== FORMAT_BEFORE_AUTH) {
    throw new Error('malformed session record (unknown format)');
  }
  const secretHash = new Uint8Array(reader.bytes(reader.byte()));
  const [createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, version] = NUMBERS.map((name) => {
    const number = reader.double();
    if (!Number.isSafeInteger(number)) throw new Error(`malformed session record (field ${name})`);
    return number;
  }) as [number, number, number, number, number];
  const userId = reader.string();
  if (userId === null) throw new Error('malformed session record (no user id)');
  const userAgent = reader.string();
  const ip = reader.string();
  let authTime = createdAt;
  let amr: readonly string[] = Object.freeze([]);
  if (format === FORMAT) {
    authTime = reader.double();
    if (!Number.isSafeInteger(authTime) || authTime < 0)
      throw new Error('malformed session record (authTime)');
    amr = decodeAmr(reader.string());
  }
  if (!reader.done()) throw new Error('malformed session record (trailing bytes)');
  return {
    id,
    userId,
    secretHash,
    createdAt,
    lastSeenAt,
    expiresAt,
    absoluteExpiresAt,
    userAgent,
    ip,
    authTime,
    amr,
    version,
  };
}

function text(value: string, name: string): Buffer {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string or null`);
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length >= NULL_STRING) throw new TypeError(`${name} is too long`);
  return bytes;
}

class Reader {
  #at = 0;

  constructor(readonly buffer: Buffer) {}

  byte(): number {
    return this.bytes(1)[0] ?? 0;
  }

  double(): number {
    return this.bytes(8).readDoubleBE(0);
  }

  string(): string | null {
    const length = this.bytes(2).readUInt16BE(0);
    return length === NULL_STRING ? null : this.bytes(length).toString('utf8');
  }

  bytes(length: number): Buffer {
    if (this.#at + length > this.buffer.length) throw new Error('malformed session record (cut short)');
    const slice = this.buffer.subarray(this.#at, this.#at + length);
    this.#at += length;
    return slice;
  }

  done(): boolean {
    return this.#at === this.buffer.length;
  }
}
