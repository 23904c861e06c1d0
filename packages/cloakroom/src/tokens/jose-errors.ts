import { errors } from 'jose';
import { InvalidTokenError, KeySetUnavailableError, type InvalidTokenReason } from './errors.js';

/** jose's error codes → Cloakroom's stable reasons (the one place that knows jose's codes). */
const REASONS: Record<string, InvalidTokenReason> = {
  ERR_JOSE_ALG_NOT_ALLOWED: 'algorithm_not_allowed',
  ERR_JOSE_NOT_SUPPORTED: 'algorithm_not_allowed',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'signature_invalid',
  ERR_JWT_EXPIRED: 'expired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'claim_invalid',
  ERR_JWKS_NO_MATCHING_KEY: 'unknown_key',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'unknown_key',
  ERR_JWK_INVALID: 'unknown_key',
  ERR_JWS_INVALID: 'malformed',
  ERR_JWT_INVALID: 'malformed',
  ERR_JWE_INVALID: 'decryption_failed',
  ERR_JWE_DECRYPTION_FAILED: 'decryption_failed',
};

const MESSAGES: Record<InvalidTokenReason, string> = {
  malformed: 'the token is malformed',
  duplicate_member: 'the token names a member twice',
  algorithm_not_allowed: 'the token algorithm is not allowed',
  forbidden_header: 'the token header carries a member that is never honoured',
  wrong_type: 'the token is not an access token (typ)',
  unknown_key: 'no configured key matches the token',
  signature_invalid: 'the token signature does not verify',
  expired: 'the token has expired',
  not_yet_valid: 'the token is not valid yet',
  claim_invalid: 'a token claim is missing or not as expected',
  decryption_failed: 'the token could not be decrypted',
};

/** The general message for a reason; never contains the token or a claim value. */
export function messageOf(reason: InvalidTokenReason): string {
  return MESSAGES[reason];
}

/**
 * Turns whatever jose (or a key resolver) threw into a Cloakroom error: `KeySetUnavailableError` passes through,
 * jose errors map onto reasons, and anything unexpected becomes `malformed`, keeping the original as `cause` for
 * the server log. A bad token never surfaces as a 500.
 */
export function fromJoseError(error: unknown): InvalidTokenError | KeySetUnavailableError {
  if (error instanceof InvalidTokenError || error instanceof KeySetUnavailableError) return error;
  if (error instanceof errors.JOSEError) {
    let reason = REASONS[error.code] ?? 'malformed';
    if (error instanceof errors.JWTClaimValidationFailed) {
      if (error.claim === 'typ') reason = 'wrong_type';
      else if ((error.claim === 'nbf' || error.claim === 'iat') && error.reason === 'check_failed') {
        reason = 'not_yet_valid';
      }
    }
    const detail = error instanceof errors.JWTClaimValidationFailed ? ` (${error.claim})` : '';
    return new InvalidTokenError(reason, `${MESSAGES[reason]}${detail}`, { cause: error });
  }
  return new InvalidTokenError('malformed', MESSAGES.malformed, { cause: error });
}
