import * as client from 'openid-client';
import { FederationError } from './errors.js';

const ID_TOKEN_CODES = new Set([
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_PARSE_ERROR',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_UNSUPPORTED_OPERATION',
]);

/** Whether an error means the provider could not be reached or failed (network, timeout, 5xx). */
function isOutage(error: unknown): boolean {
  // fetch's own failure (refused, reset, DNS) is a TypeError without a code; oauth4webapi's argument errors
  // are TypeErrors with one.
  if (error instanceof TypeError && (error as { code?: unknown }).code === undefined) return true;
  if (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError')) return true;
  if (error instanceof client.ResponseBodyError) return error.status >= 500;
  if (error instanceof client.ClientError && error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    const cause = error.cause;
    return cause instanceof Response && cause.status >= 500;
  }
  return false;
}

/**
 * Maps an openid-client failure of the token exchange (with the ID token checks that come with it) or of
 * the userinfo request to a {@link FederationError}. The original error is kept as `cause` for the server
 * log; its message is not shown to the user.
 */
export function classifyProviderError(error: unknown, phase: 'token' | 'userinfo'): FederationError {
  if (error instanceof FederationError) return error;
  if (isOutage(error)) {
    return new FederationError('provider_unavailable', `the provider's ${phase} endpoint failed`, {
      cause: error,
    });
  }
  if (phase === 'userinfo') {
    const mismatch =
      error instanceof client.ClientError && error.code === 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED';
    return mismatch
      ? new FederationError('userinfo_mismatch', 'the userinfo sub is not the ID token sub', { cause: error })
      : new FederationError('userinfo_failed', 'the userinfo request failed', { cause: error });
  }
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
    return new FederationError('token_request_failed', 'the token endpoint refused the code', {
      cause: error,
    });
  }
  if (error instanceof client.ClientError && error.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM') {
    return new FederationError('token_request_failed', 'the token endpoint answered with an error', {
      cause: error,
    });
  }
  if (error instanceof client.ClientError && error.code !== undefined && ID_TOKEN_CODES.has(error.code)) {
    return new FederationError('invalid_id_token', 'the ID token failed a check', { cause: error });
  }
  return new FederationError('invalid_id_token', 'the token response failed a check', { cause: error });
}
