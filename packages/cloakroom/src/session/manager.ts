import { resolveSessionConfig, type SessionConfig, type SessionManagerOptions } from './config.js';
import { readSessionCookie, serializeClearCookie, serializeSessionCookie } from './cookie.js';
import {
  createSession,
  type CreateSessionOptions,
  type IssuedSession,
  type SessionMetadata,
} from './create.js';
import { listUserSessions } from './list.js';
import { revokeSessionAs, revokeUserSessionsAs, sweepExpiredSessions, type RevokeOptions } from './revoke.js';
import { rotateSession, type RotateSessionOptions } from './rotate.js';
import { countSessions } from './stats.js';
import type { SessionCounts } from '../stores/index.js';
import type { Session } from './session.js';
import { checkToken, validateSession, type ValidationResult } from './validate.js';
import { observeValidation } from './telemetry.js';

/**
 * The session lifecycle over one store: create, validate, rotate, revoke, list. Framework-free: it takes and
 * returns plain values (tokens, `Cookie` header strings, `Set-Cookie` strings) and never touches a response.
 *
 * @example
 * ```ts
 * const sessions = createSessionManager({
 *   store: new SqliteStore(db),
 *   origin: 'https://example.com',
 *   keys: [process.env.SESSION_KEY!],
 * });
 * const { setCookie } = await sessions.create(user.id, { userAgent, ip });
 * const result = await sessions.validate(sessions.readToken(request.headers.get('cookie')));
 * if (result.valid) console.log(result.user);
 * ```
 */
export class SessionManager<U> {
  readonly config: SessionConfig<U>;

  constructor(options: SessionManagerOptions<U>) {
    this.config = resolveSessionConfig(options);
  }

  /** The session cookie's name, `__Host-` prefixed on https origins. */
  get cookieName(): string {
    return this.config.cookie.name;
  }

  /** Starts a session with a fresh token. */
  create(userId: string, metadata?: SessionMetadata, options?: CreateSessionOptions): Promise<IssuedSession> {
    return createSession(this.config, userId, metadata, options);
  }

  /** The session and its user for a token, or why there is none. */
  validate(token: string | null | undefined): Promise<ValidationResult<U>> {
    const { telemetry } = this.config;
    if (telemetry === null) return validateSession(this.config, token);
    return observeValidation(telemetry, () => validateSession(this.config, token));
  }

  /**
   * New id and secret for a live session; `null` when it is already gone. With `options.auth` it is a
   * re-authentication: a new `authTime` and the methods added to `amr`.
   */
  rotate(
    session: Session,
    metadata?: SessionMetadata,
    options?: RotateSessionOptions,
  ): Promise<IssuedSession | null> {
    return rotateSession(this.config, session, metadata, options);
  }

  /**
   * Ends one session by public id; emits `session.revoked` with `options.by` (default `system`), and the
   * user and request details the caller gives.
   */
  revoke(sessionId: string, options?: RevokeOptions): Promise<void> {
    return revokeSessionAs(this.config, sessionId, options);
  }

  /**
   * Ends all of a user's sessions, or all but `options.except`; emits `session.revoked` (with the count) when
   * it ended any.
   */
  revokeUserSessions(userId: string, options?: { except?: string } & RevokeOptions): Promise<number> {
    return revokeUserSessionsAs(this.config, userId, options);
  }

  /** A user's live sessions, most recently used first. */
  listUserSessions(userId: string): Promise<Session[]> {
    return listUserSessions(this.config, userId);
  }

  /** Removes expired sessions from the store. */
  sweepExpired(): Promise<number> {
    return sweepExpiredSessions(this.config);
  }

  /** Live and expired-but-kept sessions in the store, or `null` when the store cannot count them. */
  countSessions(): Promise<SessionCounts | null> {
    return countSessions(this.config);
  }

  /**
   * Whether `token` is well-formed and (in signed mode) signed with one of the keys, with no store read. A
   * hint for routing (Next.js `proxy`), never an authorization: a revoked or expired session passes. Use
   * `validate` to know whether the session is alive.
   */
  isWellSigned(token: string | null | undefined): boolean {
    return typeof checkToken(this.config, token) !== 'string';
  }

  /** The session token from a `Cookie` header, or `null`; never throws. */
  readToken(cookieHeader: string | null | undefined): string | null {
    return readSessionCookie(cookieHeader, this.config.cookie.name);
  }

  /** The `Set-Cookie` value that stores `token` for the rest of `session`'s absolute lifetime. */
  setCookie(token: string, session: Session): string {
    return serializeSessionCookie(
      this.config.cookie,
      token,
      (session.absoluteExpiresAt - this.config.clock.now()) / 1000,
    );
  }

  /** The `Set-Cookie` value that removes the session cookie. */
  clearCookie(): string {
    return serializeClearCookie(this.config.cookie);
  }
}

/** Creates a {@link SessionManager}; see its example. */
export function createSessionManager<U>(options: SessionManagerOptions<U>): SessionManager<U> {
  return new SessionManager(options);
}
