/**
 * Every failure Cloakroom reports on purpose is a `CloakroomError` with a stable string `code`, so callers
 * and tests branch on the code, never on the message. Messages never contain a token, cookie, password or
 * secret. Misuse of the API (bad options) throws a plain `TypeError` instead.
 */
export type CloakroomErrorCode = 'csrf_rejected' | 'store_unavailable';

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

/** The HTTP status and public body for an error Cloakroom knows; `null` for anything else. */
export function httpErrorOf(error: unknown): { status: number; body: ErrorBody } | null {
  if (!(error instanceof CloakroomError)) return null;
  switch (error.code) {
    case 'csrf_rejected':
      return errorResult(403, error.code, 'The request was refused by the cross-site request checks.');
    case 'store_unavailable':
      return errorResult(503, error.code, 'The session store is unavailable. Try again shortly.');
  }
}

/** The documented JSON error shape: `{"error":{"code":"…","message":"…"}}`. */
export interface ErrorBody {
  error: { code: string; message: string };
}

function errorResult(status: number, code: string, message: string) {
  return { status, body: { error: { code, message } } };
}
