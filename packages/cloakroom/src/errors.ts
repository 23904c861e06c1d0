/**
 * Every failure Cloakroom reports on purpose is a `CloakroomError` with a stable string `code`, so callers
 * and tests branch on the code, never on the message. Messages never contain a token, cookie, password or
 * secret. Misuse of the API (bad options) throws a plain `TypeError` instead.
 *
 * This module holds what every feature shares: the base class, the code union and the HTTP status table.
 * Each feature owns its error classes in its own `errors.ts` (`csrf/errors.ts`, `stores/errors.ts`,
 * `accounts/errors.ts`, `tokens/errors.ts`, …), and every one of them is re-exported by the root entry.
 * docs/errors.md lists every code with its class and status.
 */
export type CloakroomErrorCode =
  // Shared: malformed input anywhere.
  | 'invalid_request'
  // session, csrf, stores
  | 'unauthenticated'
  | 'csrf_rejected'
  | 'store_unavailable'
  | 'reauthentication_required'
  // accounts
  | 'weak_password'
  | 'email_taken'
  | 'invalid_credentials'
  | 'too_many_attempts'
  | 'email_unverified'
  | 'account_locked'
  // accounts: two-factor
  | 'invalid_code'
  // accounts: passkeys
  | 'invalid_passkey'
  // tokens
  | 'invalid_token'
  | 'insufficient_scope'
  | 'jwks_unavailable'
  // federation
  | 'federation_failed'
  // inspect (input the inspector cannot read)
  | 'no_token'
  | 'malformed_token'
  | 'key_unreadable'
  // The token issuer (`cloakroom/tokens/issuer`): the RFC 6749 §5.2 / RFC 7009 / RFC 8693 error codes, so an
  // OAuth refusal's code is the `error` it answers with, and a client id that is already registered.
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'unsupported_token_type'
  | 'server_error'
  | 'temporarily_unavailable'
  | 'client_exists';

/**
 * The base of every error Cloakroom throws on purpose. `cause` keeps the underlying failure for the server
 * log; `code` is what callers, tests and the HTTP edge branch on.
 *
 * @example
 * ```ts
 * try { await accounts.signIn(request, credentials) } catch (e) {
 *   if (e instanceof CloakroomError && e.code === 'too_many_attempts') showCaptcha();
 * }
 * ```
 */
export class CloakroomError extends Error {
  readonly code: CloakroomErrorCode;
  /**
   * How long the client should wait before trying again, for temporary refusals; the HTTP edge sends it as
   * `Retry-After`. Declared here (type only: no own property on errors that leave it out) so `httpErrorOf`
   * needs to know no feature's classes.
   */
  declare readonly retryAfterSeconds?: number;
  /**
   * The HTTP status when it differs from the code's usual one (a one-time link's `invalid_token` is 400, an
   * access token's 401). Type only, like `retryAfterSeconds`.
   */
  declare readonly httpStatus?: number;

  constructor(code: CloakroomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * Input that is malformed or missing fields: 400 `invalid_request`. `field` names the culprit. Shared by
 * every feature (and the site's body parsers), so it lives beside the base class rather than in one feature.
 */
export class InvalidRequestError extends CloakroomError {
  readonly field: string | null;

  constructor(message: string, field: string | null = null) {
    super('invalid_request', message);
    this.field = field;
  }
}

/** The documented JSON error shape: `{"error":{"code":"…","message":"…"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

/** An HTTP answer for a `CloakroomError`: see {@link httpErrorOf}. */
export interface HttpError {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
}

const STATUS: Record<CloakroomErrorCode, number> = {
  invalid_request: 400,
  weak_password: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  reauthentication_required: 401,
  csrf_rejected: 403,
  email_taken: 409,
  too_many_attempts: 429,
  email_unverified: 403,
  account_locked: 403,
  // A sign-in's second factor; confirming a TOTP setup answers 400 (InvalidCodeError's httpStatus).
  invalid_code: 401,
  invalid_passkey: 400,
  store_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  jwks_unavailable: 503,
  // The federation routes answer with the reason's own status (FederationError.status); this is the fallback.
  federation_failed: 400,
  // `cloakroom inspect` reads its input from the command line, not HTTP; were it served, these are bad input.
  no_token: 400,
  malformed_token: 400,
  key_unreadable: 400,
  // The OAuth endpoints answer these in RFC 6749's own shape (the issuer's OAuthError.status and body()); this
  // is the fallback for one that reaches a JSON route.
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  invalid_target: 400,
  unsupported_token_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  client_exists: 409,
};

// Public messages: fixed per code where the internal message could say more than a client should know.
const PUBLIC_MESSAGE: Partial<Record<CloakroomErrorCode, string>> = {
  csrf_rejected: 'The request was refused by the cross-site request checks.',
  store_unavailable: 'The session store is unavailable. Try again shortly.',
  invalid_token: 'The access token is invalid or expired.',
  jwks_unavailable: 'The token keys are unavailable. Try again shortly.',
  federation_failed: 'The sign-in with the identity provider did not work.',
};

/**
 * The HTTP status, public body and headers for an error Cloakroom knows; `null` for anything else.
 *
 * @example
 * ```ts
 * const known = httpErrorOf(error);
 * if (known === null) throw error;
 * return Response.json(known.body, { status: known.status, headers: known.headers });
 * ```
 */
export function httpErrorOf(error: unknown): HttpError | null {
  if (!(error instanceof CloakroomError)) return null;
  const headers: Record<string, string> = {};
  if (error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  return {
    status: error.httpStatus ?? STATUS[error.code],
    body: {
      error: {
        code: error.code,
        message:
          error.httpStatus === undefined ? (PUBLIC_MESSAGE[error.code] ?? error.message) : error.message,
      },
    },
    headers,
  };
}
