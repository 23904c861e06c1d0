import { hash } from 'node:crypto';
import { storeCall } from '../lib/store-call.js';
import { FederationError } from './errors.js';
import { verifyProviderJwt, type JwtCheckOptions } from './id-token.js';
import type { FederationStateStore } from './stores/types.js';

/** What a valid back-channel logout asks for: end the sessions of this provider session and/or subject. */
export interface LogoutRequest {
  sub: string | null;
  sid: string | null;
}

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** A logout token older than this (by `iat`) is refused; its `jti` is remembered this long. */
const MAX_AGE_SECONDS = 300;
const MAX_TOKEN_LENGTH = 16 * 1024;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const optionalString = (value: unknown): string | null | false =>
  value === undefined
    ? null
    : typeof value === 'string' && value.length > 0 && value.length <= 255
      ? value
      : false;

/**
 * OIDC Back-Channel Logout 1.0, section 2.6: signature through the provider's JWKS, `typ: logout+jwt`,
 * `iss`, `aud`, `iat` (at most 5 minutes old), `exp` when present, `jti`, the logout event, no `nonce`, and
 * `sub` or `sid`. A token's `jti` is recorded only once every check has passed, and a second use is refused.
 */
export async function verifyLogoutToken(
  token: unknown,
  options: JwtCheckOptions & { store: FederationStateStore; now: number },
): Promise<LogoutRequest> {
  const fail = (message: string, cause?: unknown): never => {
    throw new FederationError('invalid_logout_token', message, cause === undefined ? undefined : { cause });
  };
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return fail('no logout token');
  }
  let claims;
  try {
    claims = await verifyProviderJwt(token, options, {
      typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events'],
      maxTokenAge: MAX_AGE_SECONDS,
    });
  } catch (error) {
    return fail('the logout token failed verification', error);
  }
  if (!isObject(claims.events) || !isObject(claims.events[LOGOUT_EVENT])) {
    return fail('the logout token carries no logout event');
  }
  if ('nonce' in claims) return fail('a logout token must not carry a nonce');
  const sub = optionalString(claims.sub);
  const sid = optionalString(claims.sid);
  if (sub === false || sid === false || (sub === null && sid === null)) {
    return fail('the logout token names no sub or sid');
  }
  const jti = claims.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > 255) return fail('bad jti');
  const key = `jti:${hash('sha256', `${options.issuer}\n${jti}`, 'base64url')}`;
  const expiresAt = ((claims.iat ?? 0) + MAX_AGE_SECONDS + options.clockToleranceSeconds) * 1000;
  const expiry = Math.max(expiresAt, options.now + 1000);
  if (!(await storeCall('federation.add', () => options.store.add(key, '1', expiry, options.now)))) {
    return fail('the logout token was already used');
  }
  return { sub, sid };
}
