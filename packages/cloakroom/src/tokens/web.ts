import { authenticateBearer, bearerErrorOf, type AuthenticateOptions } from './bearer.js';
import type { TokenVerifier, VerifiedAccessToken } from './verify.js';

/** The RFC 6750 `Response` for an authentication failure, or `null` for any other error. */
export function bearerErrorResponse(error: unknown, options: { realm?: string } = {}): Response | null {
  const answer = bearerErrorOf(error, options);
  if (answer === null) return null;
  return Response.json(answer.body, {
    status: answer.status,
    headers: { ...answer.headers, 'cache-control': 'no-store' },
  });
}

/** Verifies a Web `Request`'s bearer token; rejects like `authenticateBearer`. */
export function accessTokenOf(
  verifier: TokenVerifier,
  request: Request,
  options: AuthenticateOptions = {},
): Promise<VerifiedAccessToken> {
  return authenticateBearer(verifier, request.headers.get('authorization'), options);
}

export type AccessTokenHandler = (
  request: Request,
  token: VerifiedAccessToken,
) => Response | Promise<Response>;

/**
 * Wraps a fetch-style handler so it runs only with a valid bearer token (and the given scopes); failures answer
 * RFC 6750 401/403 (503 when the issuer's keys are unreachable). Other errors propagate.
 *
 * @example
 * ```ts
 * const handle = withAccessToken(verifier, (request, { claims }) => Response.json({ user: claims.sub }), {
 *   scope: 'notes:read',
 * });
 * ```
 */
export function withAccessToken(
  verifier: TokenVerifier,
  handler: AccessTokenHandler,
  options: AuthenticateOptions & { realm?: string } = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    let token: VerifiedAccessToken;
    try {
      token = await accessTokenOf(verifier, request, options);
    } catch (error) {
      const response = bearerErrorResponse(error, options);
      if (response === null) throw error;
      return response;
    }
    return handler(request, token);
  };
}
