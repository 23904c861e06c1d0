/**
 * Why a federated sign-in (or a back-channel logout) was refused. Stable and safe to show: the sign-in error
 * page prints the code, the server log keeps the cause, and neither ever holds a token, a code or a secret.
 */
export type FederationFailureReason =
  /** No provider with this id is configured. */
  | 'unknown_provider'
  /** The provider could not be reached, or answered with a server error (discovery, token or userinfo). */
  | 'provider_unavailable'
  /** No pre-login record for this browser: the cookie is missing, the record expired or was already used. */
  | 'login_expired'
  /** The `state` response parameter is missing or is not the one this browser's sign-in was started with. */
  | 'state_mismatch'
  /** The RFC 9207 `iss` response parameter is wrong, or missing where the provider promised it. */
  | 'issuer_mismatch'
  /** The provider answered the authorization request with an error (the user cancelled, say). */
  | 'provider_error'
  /** The token endpoint refused the code (a replayed or expired code, a wrong client secret). */
  | 'token_request_failed'
  /** The ID token failed a check: signature, algorithm, `iss`, `aud`, `azp`, `exp`, `iat`, `sub`, `nonce`. */
  | 'invalid_id_token'
  /** The userinfo `sub` is not the ID token's. */
  | 'userinfo_mismatch'
  /** The userinfo request was refused or its answer malformed. */
  | 'userinfo_failed'
  /** A new account needs an email address and the provider gave none. */
  | 'email_missing'
  /** The provider says the email address is not verified: no account is created with it. */
  | 'email_unverified'
  /** A local account already uses this email address: sign in to it and link the provider from there. */
  | 'account_exists'
  /** This provider account is already linked to another local account. */
  | 'identity_in_use'
  /** A link was started by one session and finished in another (or after signing out). */
  | 'link_session_mismatch'
  /** Unlinking would leave the account with no way to sign in. */
  | 'last_sign_in_method'
  /** A back-channel logout token failed a check. */
  | 'invalid_logout_token'
  /** Too many sign-ins started from one address in a short time (each one stores a pre-login record). */
  | 'too_many_starts';

/** Status codes for the HTTP edge: the reason decides it, the message never carries details. */
const STATUS: Record<FederationFailureReason, number> = {
  unknown_provider: 404,
  provider_unavailable: 502,
  login_expired: 400,
  state_mismatch: 400,
  issuer_mismatch: 400,
  provider_error: 400,
  token_request_failed: 400,
  invalid_id_token: 400,
  userinfo_mismatch: 400,
  userinfo_failed: 400,
  email_missing: 400,
  email_unverified: 400,
  account_exists: 409,
  identity_in_use: 409,
  link_session_mismatch: 400,
  last_sign_in_method: 409,
  invalid_logout_token: 400,
  too_many_starts: 429,
};

import { CloakroomError } from '../errors.js';

/**
 * A federated sign-in, link or back-channel logout that was refused. `code` is always `federation_failed`;
 * `reason` says why. The `cause` (kept for the server log) may describe the provider's answer but never
 * carries a token, an authorization code or a client secret.
 *
 * @example
 * ```ts
 * try { await rp.completeSignIn(...) } catch (e) { if (e instanceof FederationError) log(e.reason) }
 * ```
 */
export class FederationError extends CloakroomError {
  readonly reason: FederationFailureReason;

  constructor(reason: FederationFailureReason, message: string, options?: { cause?: unknown }) {
    super('federation_failed', message, options);
    this.reason = reason;
  }

  /** The HTTP status the edge answers with. */
  get status(): number {
    return STATUS[this.reason];
  }
}
