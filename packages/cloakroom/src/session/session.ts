import type { SessionRecord } from '../stores/index.js';

/** A session as applications see it. Times are milliseconds since the epoch. */
export interface Session {
  /** The public id: safe to show and to use in "revoke this session" links; it grants nothing alone. */
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** When the session ends unless used again (idle expiry, capped at `absoluteExpiresAt`). */
  readonly expiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /** When the user last proved who they are: sign-in, or the last re-authentication (ms since the epoch). */
  readonly authTime: number;
  /** How: RFC 8176 method references (`pwd`, `otp`, `hwk`, `swk`, `mfa`, `fed`, ...); `[]` when unknown. */
  readonly amr: readonly string[];
}

/** The public view of a stored record: everything but the secret's hash and the version counter. */
export function toSession(record: SessionRecord): Session {
  return {
    id: record.id,
    userId: record.userId,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    userAgent: record.userAgent,
    ip: record.ip,
    authTime: record.authTime,
    amr: record.amr,
  };
}

/** Whether a record is past its idle or absolute expiry at `now`. */
export function isExpired(record: SessionRecord, now: number): boolean {
  return now >= record.expiresAt || now >= record.absoluteExpiresAt;
}
