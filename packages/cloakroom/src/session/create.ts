import { checkAmr, type SessionRecord } from '../stores/index.js';
import type { SessionConfig } from './config.js';
import { serializeSessionCookie } from './cookie.js';
import { toSession, type Session } from './session.js';
import { storeCall } from '../lib/store-call.js';
import { generateTokenParts, hashSecret } from './token.js';

/** What a request tells about the device, for the "your sessions" list. Both are truncated when stored. */
export interface SessionMetadata {
  userAgent?: string | null;
  ip?: string | null;
}

/** A session just created or rotated: its token (the cookie value) and the `Set-Cookie` that carries it. */
export interface IssuedSession {
  session: Session;
  token: string;
  setCookie: string;
}

const MAX_USER_ID_LENGTH = 255;
const MAX_USER_AGENT_LENGTH = 512;
const MAX_IP_LENGTH = 64;

/** Options of {@link createSession}. */
export interface CreateSessionOptions {
  /**
   * The latest absolute expiry (ms since the epoch): the session ends then if the configured absolute
   * lifetime would end it later. A migrated session never outlives the legacy credential it replaced.
   */
  notAfter?: number;
  /**
   * How the user proved who they are: `amr` (RFC 8176 values such as `pwd`, `otp`, `hwk`; at most 8 short
   * tokens) and when (`time`, ms since the epoch; default now, never later than now). Without it the session
   * records `authTime` = now and `amr` = `[]`.
   */
  auth?: SessionAuth;
}

/** How and when a session's user authenticated; see {@link CreateSessionOptions.auth}. */
export interface SessionAuth {
  amr: readonly string[];
  time?: number;
}

/** Starts a new session for `userId`, always with a fresh token (the defence against session fixation). */
export async function createSession<U>(
  config: SessionConfig<U>,
  userId: string,
  metadata: SessionMetadata = {},
  options: CreateSessionOptions = {},
): Promise<IssuedSession> {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > MAX_USER_ID_LENGTH) {
    throw new TypeError(`userId must be a non-empty string of at most ${MAX_USER_ID_LENGTH} characters`);
  }
  const now = config.clock.now();
  const { notAfter } = options;
  if (notAfter !== undefined && (!Number.isFinite(notAfter) || notAfter <= now)) {
    throw new TypeError('notAfter must be a time in the future');
  }
  const absoluteExpiresAt = Math.min(now + config.absoluteTimeoutMs, notAfter ?? Infinity);
  const auth = authFields(options.auth, now);
  const issued = newRecord(config, {
    ...auth,
    userId,
    createdAt: now,
    now,
    absoluteExpiresAt,
    userAgent: clip(metadata.userAgent, MAX_USER_AGENT_LENGTH),
    ip: clip(metadata.ip, MAX_IP_LENGTH),
  });
  await storeCall('create', () => config.store.create(issued.record));
  return issue(config, issued.record, issued.token);
}

/** `authTime` and `amr` from a caller's `auth` option, checked: `TypeError` for misuse. */
export function authFields(
  auth: SessionAuth | undefined,
  now: number,
): { authTime: number; amr: readonly string[] } {
  if (auth === undefined) return { authTime: now, amr: Object.freeze([]) };
  if (typeof auth !== 'object') throw new TypeError('auth must be an object');
  const time = auth.time ?? now;
  if (!Number.isSafeInteger(time) || time < 0 || time > now) {
    throw new TypeError('auth.time must be a whole number of milliseconds, not in the future');
  }
  return { authTime: time, amr: checkAmr(auth.amr) };
}

interface RecordFields {
  userId: string;
  authTime: number;
  amr: readonly string[];
  createdAt: number;
  now: number;
  absoluteExpiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

/** A new record with a new id and secret; shared by creation and rotation. */
export function newRecord<U>(
  config: SessionConfig<U>,
  fields: RecordFields,
): { record: SessionRecord; token: string } {
  const { id, secret } = generateTokenParts(config.store.sessionIdTag?.(fields.userId));
  const payload = `${id}.${secret}`;
  const token = config.keyring === null ? payload : `${payload}.${config.keyring.sign(payload)}`;
  const record: SessionRecord = {
    id,
    userId: fields.userId,
    secretHash: hashSecret(secret),
    createdAt: fields.createdAt,
    lastSeenAt: fields.now,
    expiresAt: Math.min(fields.now + config.idleTimeoutMs, fields.absoluteExpiresAt),
    absoluteExpiresAt: fields.absoluteExpiresAt,
    userAgent: fields.userAgent,
    ip: fields.ip,
    authTime: fields.authTime,
    amr: fields.amr,
    version: 1,
  };
  return { record, token };
}

export function issue<U>(config: SessionConfig<U>, record: SessionRecord, token: string): IssuedSession {
  const maxAgeSeconds = (record.absoluteExpiresAt - config.clock.now()) / 1000;
  return {
    session: toSession(record),
    token,
    setCookie: serializeSessionCookie(config.cookie, token, maxAgeSeconds),
  };
}

function clip(value: string | null | undefined, max: number): string | null {
  if (typeof value !== 'string' || value.length === 0) return null;
  return value.length > max ? value.slice(0, max) : value;
}
