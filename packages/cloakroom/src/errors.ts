/**
 * Every failure Cloakroom reports on purpose is a `CloakroomError` with a stable string `code`, so callers
 * and tests branch on the code, never on the message. Messages never contain a token, cookie, password or
 * secret. Misuse of the API (bad options) throws a plain `TypeError` instead.
 */
export type CloakroomErrorCode =
  | 'csrf_rejected'
  | 'store_unavailable'
  | 'invalid_request'
  | 'weak_password'
  | 'email_taken'
  | 'invalid_credentials'
  | 'unauthenticated'
  | 'too_many_attempts'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'jwks_unavailable'
  | 'federation_failed'
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

export class CloakroomError extends Error {
  readonly code: CloakroomErrorCode;

  constructor(code: CloakroomErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Why a request was refused by the origin checks; safe to log. */
export type CsrfRejectionReason =
  'cross_site_fetch' | 'same_site_fetch' | 'untrusted_origin' | 'missing_origin';

/**
 * An unsafe request that carried the session cookie (or a sign-in attempt) came from a context the
 * Fetch Metadata and Origin headers do not vouch for. Answer 403 `csrf_rejected`.
 */
export class CsrfRejectedError extends CloakroomError {
  readonly reason: CsrfRejectionReason;

  constructor(reason: CsrfRejectionReason) {
    super('csrf_rejected', `request refused by the origin checks (${reason})`);
    this.reason = reason;
  }
}

/**
 * The session store failed or could not be reached, so nothing can be said about the session: answer 503
 * `store_unavailable`. Never treat this as "signed out" (that would lose data) or "signed in".
 */
export class StoreUnavailableError extends CloakroomError {
  constructor(operation: string, cause: unknown) {
    super('store_unavailable', `session store failed during ${operation}`, { cause });
  }
}

/** Input that is malformed or missing fields: 400 `invalid_request`. `field` names the culprit. */
export class InvalidRequestError extends CloakroomError {
  readonly field: string | null;

  constructor(message: string, field: string | null = null) {
    super('invalid_request', message);
    this.field = field;
  }
}

export type WeakPasswordReason = 'too_short' | 'too_long' | 'common' | 'contains_email';

/** A new password breaks the password rules: 400 `weak_password`. */
export class WeakPasswordError extends CloakroomError {
  readonly reason: WeakPasswordReason;

  constructor(reason: WeakPasswordReason, message: string) {
    super('weak_password', message);
    this.reason = reason;
  }
}

/** Registration with an email that already has an account: 409 `email_taken`. */
export class EmailTakenError extends CloakroomError {
  constructor() {
    super('email_taken', 'An account with this email already exists.');
  }
}

/** Unknown email or wrong password, deliberately indistinguishable: 401 `invalid_credentials`. */
export class InvalidCredentialsError extends CloakroomError {
  constructor() {
    super('invalid_credentials', 'The email or password is not right.');
  }
}

/** The request needs a signed-in user: 401 `unauthenticated`. */
export class UnauthenticatedError extends CloakroomError {
  constructor() {
    super('unauthenticated', 'Sign in first.');
  }
}

/** Too many failed sign-ins for this account or address: 429 `too_many_attempts`, with `Retry-After`. */
export class TooManyAttemptsError extends CloakroomError {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('too_many_attempts', 'Too many failed attempts. Try again later.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** The documented JSON error shape: `{"error":{"code":"…","message":"…"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

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
  csrf_rejected: 403,
  email_taken: 409,
  too_many_attempts: 429,
  store_unavailable: 503,
  invalid_token: 401,
  insufficient_scope: 403,
  jwks_unavailable: 503,
  // The federation routes answer with the reason's own status (FederationError.status); this is the fallback.
  federation_failed: 400,
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

/** The HTTP status, public body and headers for an error Cloakroom knows; `null` for anything else. */
export function httpErrorOf(error: unknown): HttpError | null {
  if (!(error instanceof CloakroomError)) return null;
  const headers: Record<string, string> = {};
  if (error instanceof TooManyAttemptsError) headers['retry-after'] = String(error.retryAfterSeconds);
  return {
    status: STATUS[error.code],
    body: { error: { code: error.code, message: PUBLIC_MESSAGE[error.code] ?? error.message } },
    headers,
  };
}
