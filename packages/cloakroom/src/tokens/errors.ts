import { CloakroomError } from '../errors.js';

/**
 * Why a token was refused, for logs and tests (never shown to the client: every invalid token gets the same
 * external answer). Stable strings; jose's error codes are mapped onto these in one place (`jose-errors.ts`).
 */
export type InvalidTokenReason =
  /** Not a string, over the size limit, not three base64url segments, or segments that are not JSON objects. */
  | 'malformed'
  /** A JSON member name appears twice in the header or the payload. */
  | 'duplicate_member'
  /** The header names an algorithm outside the allowlist (`none` included, in any case). */
  | 'algorithm_not_allowed'
  /** The header carries a member the verifier never honours (`jku`, `x5u`, `jwk`, `x5c`, `crit`, `zip`, …). */
  | 'forbidden_header'
  /** `typ` is not the expected media type (`at+jwt`). */
  | 'wrong_type'
  /** No key in the configured key set has the token's `kid` (and algorithm). */
  | 'unknown_key'
  /** The signature does not verify. */
  | 'signature_invalid'
  /** `exp` (or the maximum token age) has passed. */
  | 'expired'
  /** `nbf` or `iat` lies in the future. */
  | 'not_yet_valid'
  /** A required claim is missing, has the wrong type or value (`iss`, `aud`, `sub`, …). */
  | 'claim_invalid'
  /** JWE only: the token could not be decrypted with the configured keys and allowlists. */
  | 'decryption_failed';

/**
 * A bearer token was refused: answer 401 with `WWW-Authenticate: Bearer error="invalid_token"` (see
 * `bearerErrorResponse`). The message says what failed in general terms and never contains the token.
 */
export class InvalidTokenError extends CloakroomError {
  readonly reason: InvalidTokenReason;

  constructor(reason: InvalidTokenReason, message: string, options?: { cause?: unknown }) {
    super('invalid_token', message, options);
    this.reason = reason;
  }
}

/** A valid token lacks a scope the route needs: answer 403 `insufficient_scope`, naming the scope. */
export class InsufficientScopeError extends CloakroomError {
  /** The scopes the route needs (space-separated in the `WWW-Authenticate` `scope` parameter). */
  readonly required: readonly string[];

  constructor(required: readonly string[]) {
    super('insufficient_scope', `the access token lacks the scope ${required.join(' ')}`);
    this.required = required;
  }
}

/**
 * The verifier could not obtain the issuer's key set (timeout, HTTP error, oversize or malformed JWKS), so it
 * cannot say whether the token is valid: answer 503, never 401 (the token may be fine) nor 200.
 */
export class KeySetUnavailableError extends CloakroomError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('jwks_unavailable', message, options);
  }
}

/**
 * No `Authorization: Bearer` credentials came with the request: 401 with a bare `Bearer` challenge (see
 * `bearerErrorOf`). Its code is `unauthenticated`, the code of that answer's body: the request carries no
 * credential at all, exactly as a request with no session cookie.
 */
export class MissingTokenError extends CloakroomError {
  constructor() {
    super('unauthenticated', 'the request carries no bearer token');
  }
}
