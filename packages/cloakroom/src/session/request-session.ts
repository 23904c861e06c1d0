import { checkRequestOrigin, isUnsafeMethod, CsrfRejectedError } from '../csrf/index.js';
import type { Session } from './session.js';
import type { SessionManager } from './manager.js';
import type { InvalidSessionReason } from './validate.js';
import { revokeSession, revokeUserSessions } from './revoke.js';
import { emitEvent, markStoreFailureReported, type SignInMethod } from '../events/index.js';
import { StoreUnavailableError } from '../lib/store-unavailable.js';
import { inSpan } from '../metrics/index.js';
import { ReauthenticationRequiredError, UnauthenticatedError } from './errors.js';
import { checkMaxAge, DEFAULT_RECENT_AUTH_SECONDS, isRecentAuth } from './recent-auth.js';

/** The parts of an HTTP request the session layer reads, as plain header values (`null` when absent). */
export interface RequestInfo {
  method: string;
  cookie: string | null;
  origin: string | null;
  secFetchSite: string | null;
  userAgent: string | null;
  /** The client's address as the application determines it (proxy headers are the application's call). */
  ip: string | null;
  /**
   * The `Authorization` header, read only by a migration layer with a bearer-JWT source (`cloakroom/migrate`);
   * adapters fill it, and leaving it out means "none".
   */
  authorization?: string | null;
}

/** What {@link RequestSession.signIn} records about how the user proved who they are (for the events). */
export interface SignInDetails {
  /** `password`, `federation`, `passkey`…: the `method` of the `sign_in.succeeded` event. Default `unspecified`. */
  method?: SignInMethod;
  /**
   * RFC 8176 authentication method references (`pwd`, `otp`, `hwk`, `mfa`, `fed`…), when known: recorded in
   * the session (`Session.amr`, at most 8 short tokens) and in the event. Default `[]`.
   */
  amr?: readonly string[];
}

/** The options of {@link RequestSession.signIn} (the same as {@link SignInDetails}). */
export type SignInOptions = SignInDetails;

/** Options of {@link RequestSession.reauthenticate}. */
export interface ReauthenticateOptions {
  /** The methods just used (RFC 8176 values), added to the session's `amr`. */
  amr: readonly string[];
  /**
   * The name of the proof (`password`, `totp`, `passkey`…): the `method` of the `session.reauthenticated`
   * event. Default `unspecified`.
   */
  method?: SignInMethod;
}

/** Receives each `Set-Cookie` value the request's session produces; adapters put it on their response. */
export type CookieSink = (setCookie: string) => void;

/**
 * One request's view of its session: who is signed in, and the operations that change it. Each change
 * hands its `Set-Cookie` to the adapter's sink at once, so it cannot be forgotten.
 */
export class RequestSession<U> {
  readonly #manager: SessionManager<U>;
  readonly #info: RequestInfo;
  readonly #emit: CookieSink;
  #session: Session | null;
  #user: U | null;
  /** Why the request has no session, when it presented a cookie that did not give one. */
  readonly rejected: InvalidSessionReason | null;

  constructor(
    manager: SessionManager<U>,
    info: RequestInfo,
    emit: CookieSink,
    state: { session: Session | null; user: U | null; rejected: InvalidSessionReason | null },
  ) {
    this.#manager = manager;
    this.#info = info;
    this.#emit = emit;
    this.#session = state.session;
    this.#user = state.user;
    this.rejected = state.rejected;
  }

  /** The request headers the session layer read. */
  get info(): RequestInfo {
    return this.#info;
  }

  get session(): Session | null {
    return this.#session;
  }

  get user(): U | null {
    return this.#user;
  }

  /**
   * Refuses a sign-in or registration sent from a foreign context (login CSRF): throws `CsrfRejectedError`
   * (403) unless the request's `Sec-Fetch-Site` and `Origin` pass `checkRequestOrigin` in `login` mode, which
   * lets through a request with neither header (there is no ambient credential to abuse yet). The one place
   * this rule is applied: {@link signIn} and the `Accounts` sign-in paths call it; a route calls it itself
   * before it reads a sign-in body, so a cross-site form post is refused before any work is done.
   *
   * @example
   * ```ts
   * request.assertLoginOrigin(); // 403 csrf_rejected from another site
   * const input = await readBody(req);
   * ```
   */
  assertLoginOrigin(): void {
    const { config } = this.#manager;
    const refused = checkRequestOrigin(this.#info, config.trustedOrigins, 'login');
    if (refused === null) return;
    if (config.onEvent !== null) {
      emitEvent(config.onEvent, {
        type: 'csrf.rejected',
        at: config.clock.now(),
        check: 'login',
        reason: refused,
        method: this.#info.method,
        ip: this.#info.ip,
        userAgent: this.#info.userAgent,
      });
    }
    throw new CsrfRejectedError(refused);
  }

  /**
   * Signs `userId` in with a brand-new session and ends the one the request came with, if any: a cookie
   * planted before sign-in never survives it. Applies the login origin checks first ({@link assertLoginOrigin}).
   * Emits `sign_in.succeeded` with `details.method` and `details.amr`. The session records `details.amr` and
   * `authTime` = now.
   *
   * @example
   * ```ts
   * await request.signIn(user.id, user, { method: 'password', amr: ['pwd'] });
   * ```
   */
  signIn(userId: string, user?: U, details: SignInDetails = {}): Promise<Session> {
    const tracer = this.#manager.config.telemetry?.tracer ?? null;
    if (tracer === null) return this.#signIn(userId, user, details);
    // The user id, the method and the new session's public id: never the token.
    const method = details.method ?? 'unspecified';
    return inSpan(
      tracer,
      'cloakroom.session.sign_in',
      { 'enduser.id': userId, 'cloakroom.sign_in.method': method },
      async (span) => {
        const session = await this.#signIn(userId, user, details);
        span.setAttribute('cloakroom.session.id', session.id);
        return session;
      },
    );
  }

  async #signIn(userId: string, user: U | undefined, details: SignInDetails): Promise<Session> {
    this.assertLoginOrigin();
    const { config } = this.#manager;
    const issued = await this.#manager.create(
      userId,
      { userAgent: this.#info.userAgent, ip: this.#info.ip },
      { auth: { amr: details.amr ?? [] } },
    );
    if (this.#session !== null) await revokeSession(config, this.#session.id);
    this.#emit(issued.setCookie);
    this.#session = issued.session;
    this.#user = user ?? null;
    if (config.onEvent !== null) {
      emitEvent(config.onEvent, {
        type: 'sign_in.succeeded',
        at: config.clock.now(),
        userId,
        sessionId: issued.session.id,
        method: details.method ?? 'unspecified',
        ...(details.amr === undefined ? {} : { amr: [...details.amr] }),
        ip: this.#info.ip,
        userAgent: this.#info.userAgent,
      });
    }
    return issued.session;
  }

  /** Ends the current session on the server and clears the cookie; emits `session.signed_out`. */
  async signOut(): Promise<void> {
    const { config } = this.#manager;
    const ended = this.#session;
    if (ended !== null) await revokeSession(config, ended.id);
    this.#emit(this.#manager.clearCookie());
    this.#session = null;
    this.#user = null;
    if (ended !== null && config.onEvent !== null) {
      emitEvent(config.onEvent, {
        type: 'session.signed_out',
        at: config.clock.now(),
        userId: ended.userId,
        sessionId: ended.id,
        ip: this.#info.ip,
        userAgent: this.#info.userAgent,
      });
    }
  }

  /**
   * Ends every session of the signed-in user, this one included, and clears the cookie; emits
   * `session.signed_out_everywhere`.
   */
  async signOutEverywhere(): Promise<number> {
    const { config } = this.#manager;
    const current = this.#session;
    if (current === null) return 0;
    const ended = await revokeUserSessions(config, current.userId);
    this.#emit(this.#manager.clearCookie());
    this.#session = null;
    this.#user = null;
    if (config.onEvent !== null) {
      emitEvent(config.onEvent, {
        type: 'session.signed_out_everywhere',
        at: config.clock.now(),
        userId: current.userId,
        sessionId: current.id,
        count: ended,
        ip: this.#info.ip,
        userAgent: this.#info.userAgent,
      });
    }
    return ended;
  }

  /**
   * Ends every other session of the signed-in user (after a password change, say); emits `session.revoked`
   * (`by: 'user'`) when it ended any.
   */
  async revokeOtherSessions(): Promise<number> {
    if (this.#session === null) return 0;
    return this.#manager.revokeUserSessions(this.#session.userId, {
      except: this.#session.id,
      by: 'user',
      ip: this.#info.ip,
      userAgent: this.#info.userAgent,
    });
  }

  /**
   * Gives the current session a new id and secret (after a privilege change). Resolves to `null`, and
   * signs the request out, when the session was revoked meanwhile.
   */
  async rotate(): Promise<Session | null> {
    return this.#rotate(undefined);
  }

  /**
   * Records that the signed-in user just proved who they are again (their password, a code, a passkey: the
   * caller checked it): the session gets a new id and secret, `authTime` = now, and `options.amr` added to its
   * `amr` (with `mfa` once two factor kinds are in it), and `session.reauthenticated` is emitted (with
   * `options.method`, never the proof). Resolves to `null`, and signs the request out, when the session was
   * revoked meanwhile; to `null` without a session (no event then).
   *
   * @example
   * ```ts
   * if (await accounts.verifyPassword(user.id, password)) {
   *   await request.reauthenticate({ amr: ['pwd'], method: 'password' });
   * }
   * ```
   */
  async reauthenticate(options: ReauthenticateOptions): Promise<Session | null> {
    if (typeof options !== 'object') throw new TypeError('options.amr is required');
    const previous = this.#session;
    const session = await this.#rotate({ amr: options.amr });
    const { onEvent, clock } = this.#manager.config;
    if (session !== null && previous !== null && onEvent !== null) {
      emitEvent(onEvent, {
        type: 'session.reauthenticated',
        at: clock.now(),
        userId: session.userId,
        sessionId: session.id,
        previousSessionId: previous.id,
        method: options.method ?? 'unspecified',
        amr: [...options.amr],
        ip: this.#info.ip,
        userAgent: this.#info.userAgent,
      });
    }
    return session;
  }

  /**
   * The session, when its user proved who they are within the last `maxAgeSeconds` (default 600: ten
   * minutes). Throws `UnauthenticatedError` (401) without a session and `ReauthenticationRequiredError`
   * (401 `reauthentication_required`) when the last sign-in or re-authentication is older. The adapters'
   * `requireRecentAuth` guards call it.
   *
   * @example
   * ```ts
   * request.requireRecentAuth(); // before changing the password
   * ```
   */
  requireRecentAuth(maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS): Session {
    checkMaxAge(maxAgeSeconds);
    const session = this.#session;
    if (session === null) throw new UnauthenticatedError();
    if (!isRecentAuth(session, maxAgeSeconds, this.#manager.config.clock.now())) {
      throw new ReauthenticationRequiredError(maxAgeSeconds);
    }
    return session;
  }

  async #rotate(auth: { amr: readonly string[] } | undefined): Promise<Session | null> {
    if (this.#session === null) return null;
    const issued = await this.#manager.rotate(
      this.#session,
      { userAgent: this.#info.userAgent, ip: this.#info.ip },
      auth === undefined ? {} : { auth },
    );
    if (issued === null) {
      this.#emit(this.#manager.clearCookie());
      this.#session = null;
      this.#user = null;
      return null;
    }
    this.#emit(issued.setCookie);
    this.#session = issued.session;
    return issued.session;
  }
}

/**
 * Reads the request's session: origin checks for unsafe requests that carry the cookie, then validation.
 * Rejects with `CsrfRejectedError` (403) or `StoreUnavailableError` (503); a cookie that gives no session is
 * cleared and the request goes on signed out.
 */
export async function loadRequestSession<U>(
  manager: SessionManager<U>,
  info: RequestInfo,
  emit: CookieSink,
): Promise<RequestSession<U>> {
  const { config } = manager;
  const token = manager.readToken(info.cookie);
  if (token !== null && isUnsafeMethod(info.method)) {
    const refused = checkRequestOrigin(info, config.trustedOrigins, 'session');
    if (refused !== null) {
      if (config.onEvent !== null) {
        emitEvent(config.onEvent, {
          type: 'csrf.rejected',
          at: config.clock.now(),
          check: 'session',
          reason: refused,
          method: info.method,
          ip: info.ip,
          userAgent: info.userAgent,
        });
      }
      throw new CsrfRejectedError(refused);
    }
  }
  let result;
  try {
    result = await manager.validate(token);
  } catch (error) {
    if (error instanceof StoreUnavailableError && config.onEvent !== null) {
      emitEvent(config.onEvent, {
        type: 'store.unavailable',
        at: config.clock.now(),
        operation: 'validate',
        ip: info.ip,
        userAgent: info.userAgent,
      });
      markStoreFailureReported(error);
    }
    throw error;
  }
  if (result.valid) {
    return new RequestSession(manager, info, emit, {
      session: result.session,
      user: result.user,
      rejected: null,
    });
  }
  // A cookie that was read but gave no session (expired, revoked, forged) is cleared, so the browser stops
  // sending it.
  if (token !== null) emit(manager.clearCookie());
  // Only a request without a valid Cloakroom session pays for the legacy check.
  const { migration } = manager.config;
  if (migration !== null) {
    const migrated = await migration.exchange(manager, info, emit);
    if (migrated !== null) {
      return new RequestSession(manager, info, emit, { ...migrated, rejected: null });
    }
  }
  return new RequestSession(manager, info, emit, {
    session: null,
    user: null,
    rejected: result.reason === 'missing' ? null : result.reason,
  });
}
