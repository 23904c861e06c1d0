import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SessionRecord } from '../types.js';
import { checkAuthFields, decodeAmr, decodeAuthTime } from '../auth-fields.js';

/** A DynamoDB item in the low-level wire form (`{ S: … }`, `{ N: … }`, …). */
export type Item = Record<string, AttributeValue>;

/**
 * How a session is kept in the table: one item, keyed `pk = s#<session id>`, with readable attribute names
 * so infrastructure code and the console can read it:
 *
 * | attribute          | type | value                                                                  |
 * | ------------------ | ---- | ---------------------------------------------------------------------- |
 * | pk                 | S    | `s#` + the session id (the table's partition key)                      |
 * | userId             | S    | the user id (partition key of the `byUser` index)                      |
 * | secretHash         | B    | SHA-256 of the token's secret                                          |
 * | createdAt … version| N    | createdAt, lastSeenAt, expiresAt, absoluteExpiresAt (ms), version      |
 * | userAgent, ip      | S    | or NULL: `''` and `null` stay apart                                    |
 * | authTime           | N    | when the user last proved who they are (ms)                            |
 * | amr                | L    | the authentication methods, a list of S (`[]` when unknown)            |
 * | ttl                | N    | `expiresAt` in whole seconds, rounded up: DynamoDB's TTL attribute     |
 *
 * A typical item (browser user agent, IPv6 address) is about 400 bytes: one write unit (1 KB), half a
 * strongly consistent read unit (4 KB). An item written before `authTime` and `amr` existed reads back with
 * `authTime = createdAt`, `amr = []`.
 */
export const SESSION_PREFIX = 's#';
/** User snapshots: `pk = u#<user id>`, the snapshot in `user` (S). They carry no `userId`, so no index entry. */
export const USER_PREFIX = 'u#';

const NUMBERS = ['createdAt', 'lastSeenAt', 'expiresAt', 'absoluteExpiresAt', 'version'] as const;

export function sessionKey(id: string): Item {
  return { pk: { S: SESSION_PREFIX + id } };
}

export function userKey(userId: string): Item {
  return { pk: { S: USER_PREFIX + userId } };
}

/** DynamoDB's TTL attribute for `expiresAt`: epoch seconds, rounded up so TTL never ends a live session. */
export function ttlSeconds(expiresAt: number): string {
  return String(Math.ceil(safe(expiresAt, 'expiresAt') / 1000));
}

export function encodeRecord(record: SessionRecord): Item {
  if (typeof record.id !== 'string' || record.id === '') throw new TypeError('id must be a non-empty string');
  if (typeof record.userId !== 'string' || record.userId === '') {
    throw new TypeError('userId must be a non-empty string');
  }
  if (!(record.secretHash instanceof Uint8Array)) throw new TypeError('secretHash must be a Uint8Array');
  const amr = checkAuthFields(record);
  const item: Item = {
    ...sessionKey(record.id),
    userId: { S: record.userId },
    secretHash: { B: record.secretHash },
    userAgent: optionalText(record.userAgent, 'userAgent'),
    ip: optionalText(record.ip, 'ip'),
    ttl: { N: ttlSeconds(record.expiresAt) },
    authTime: { N: String(record.authTime) },
    amr: { L: amr.map((value) => ({ S: value })) },
  };
  for (const name of NUMBERS) item[name] = { N: String(safe(record[name], name)) };
  return item;
}

/** The record in an item read back; anything that is not one of ours is an error, never a session. */
export function decodeRecord(id: string, item: Item): SessionRecord {
  const userId = item.userId?.S;
  const secretHash = item.secretHash?.B;
  if (item.pk?.S !== SESSION_PREFIX + id || userId === undefined || secretHash === undefined) {
    throw new Error('malformed session item');
  }
  const [createdAt, lastSeenAt, expiresAt, absoluteExpiresAt, version] = NUMBERS.map((name) => {
    const value = Number(item[name]?.N);
    if (!Number.isSafeInteger(value)) throw new Error(`malformed session item (field ${name})`);
    return value;
  }) as [number, number, number, number, number];
  return {
    id,
    userId,
    secretHash: new Uint8Array(secretHash),
    createdAt,
    lastSeenAt,
    expiresAt,
    absoluteExpiresAt,
    userAgent: readOptionalText(item.userAgent),
    ip: readOptionalText(item.ip),
    authTime: decodeAuthTime(item.authTime?.N, createdAt),
    amr: readAmr(item.amr),
    version,
  };
}

/** The session id of an item key (`s#<id>`), or `null` for any other kind of item. */
export function sessionIdOf(item: Item): string | null {
  const pk = item.pk?.S;
  return pk?.startsWith(SESSION_PREFIX) ? pk.slice(SESSION_PREFIX.length) : null;
}

function readAmr(value: AttributeValue | undefined): readonly string[] {
  if (value === undefined) return decodeAmr(null);
  const values = value.L?.map((entry) => entry.S);
  if (values === undefined || values.some((entry) => entry === undefined || entry.includes(' '))) {
    throw new Error('malformed session item (amr)');
  }
  return decodeAmr(values.join(' '));
}

function optionalText(value: string | null, name: string): AttributeValue {
  if (value === null) return { NULL: true };
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string or null`);
  return { S: value };
}

function readOptionalText(value: AttributeValue | undefined): string | null {
  if (value?.S !== undefined) return value.S;
  if (value?.NULL === true) return null;
  throw new Error('malformed session item (text field)');
}

function safe(value: number, name: string): number {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer`);
  return value;
}
