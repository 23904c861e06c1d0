import type { ErrorBody } from '../errors.js';
import {
  InsufficientScopeError,
  InvalidTokenError,
  KeySetUnavailableError,
  MissingTokenError,
} from './errors.js';
import type { TokenVerifier, VerifiedAccessToken } from './verify.js';

// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" /
// "+" / "/" ) *"="
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const SCHEME = /^Bearer(?: |$)/i;

/**
 * The token of an `Authorization: Bearer …` header. `null` when the header is absent or uses another scheme; a
 * Bearer header whose credentials are not a single b64token yields `''`, which every verifier refuses as an
 * invalid token (it is one). Tokens in query strings or bodies are never read (RFC 6750 §2.3 advises against them).
 */
export function readBearerToken(authorization: string | null | undefined): string | null {
  if (typeof authorization !== 'string' || !SCHEME.test(authorization)) return null;
  return BEARER.exec(authorization)?.[1] ?? '';
}

/** Throws `InsufficientScopeError` unless the token grants every scope in `required`. */
export function requireScopes(token: VerifiedAccessToken, required: readonly string[]): void {
  const missing = required.filter((scope) => !token.scopes.includes(scope));
  if (missing.length > 0) throw new InsufficientScopeError(required);
}

export interface AuthenticateOptions {
  /** Scopes the route needs (all of them). */
  scope?: string | readonly string[];
}

function scopesOf(options: AuthenticateOptions): readonly string[] {
  const { scope } = options;
  if (scope === undefined) return [];
  return typeof scope === 'string' ? scope.split(' ').filter((item) => item.length > 0) : scope;
}

/**
 * Verifies the bearer token of an `Authorization` header value and checks the route's scopes. Rejects with
 * `MissingTokenError`, `InvalidTokenError`, `InsufficientScopeError` or `KeySetUnavailableError`: give those to
 * {@link bearerErrorOf} for the answer.
 */
export async function authenticateBearer(
  verifier: TokenVerifier,
  authorization: string | null | undefined,
  options: AuthenticateOptions = {},
): Promise<VerifiedAccessToken> {
  const token = readBearerToken(authorization);
  if (token === null) throw new MissingTokenError();
  const verified = await verifier.verify(token);
  requireScopes(verified, scopesOf(options));
  return verified;
}

/** An RFC 6750 error answer: status, `WWW-Authenticate` and the public JSON body. */
export interface BearerErrorAnswer {
  status: 401 | 403 | 503;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** The one external body for every invalid token, whatever the reason (the reason stays in the server log). */
export const INVALID_TOKEN_BODY: ErrorBody = Object.freeze({
  error: Object.freeze({ code: 'invalid_token', message: 'The access token is invalid or expired.' }),
});

function challenge(realm: string | undefined, params: string): string {
  const parts = [realm === undefined ? null : `realm="${realm}"`, params.length > 0 ? params : null];
  const rest = parts.filter((part) => part !== null).join(', ');
  return rest.length > 0 ? `Bearer ${rest}` : 'Bearer';
}

/**
 * The RFC 6750 answer for an authentication failure, or `null` when `error` is not one (let it propagate):
 * - no token: 401, `WWW-Authenticate: Bearer`, code `unauthenticated`;
 * - any invalid token: 401, `WWW-Authenticate: Bearer error="invalid_token"`, always {@link INVALID_TOKEN_BODY};
 * - a missing scope: 403, `WWW-Authenticate: Bearer error="insufficient_scope", scope="…"`;
 * - the issuer's keys unavailable: 503 `jwks_unavailable`.
 */
export function bearerErrorOf(error: unknown, options: { realm?: string } = {}): BearerErrorAnswer | null {
  const { realm } = options;
  if (realm !== undefined && !/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/.test(realm))
    throw new TypeError('invalid realm');
  if (error instanceof MissingTokenError) {
    return {
      status: 401,
      headers: { 'www-authenticate': challenge(realm, '') },
      body: { error: { code: 'unauthenticated', message: 'An access token is required.' } },
    };
  }
  if (error instanceof InvalidTokenError) {
    return {
      status: 401,
      headers: { 'www-authenticate': challenge(realm, 'error="invalid_token"') },
      body: INVALID_TOKEN_BODY,
    };
  }
  if (error instanceof InsufficientScopeError) {
    const scope = error.required.join(' ');
    return {
      status: 403,
      headers: { 'www-authenticate': challenge(realm, `error="insufficient_scope", scope="${scope}"`) },
      body: { error: { code: 'insufficient_scope', message: `The access token lacks the scope ${scope}.` } },
    };
  }
  if (error instanceof KeySetUnavailableError) {
    return {
      status: 503,
      headers: { 'retry-after': '5' },
      body: {
        error: { code: 'jwks_unavailable', message: 'The token keys are unavailable. Try again shortly.' },
      },
    };
  }
  return null;
}
