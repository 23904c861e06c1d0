import { InvalidTokenError, authenticateBearer } from 'cloakroom/tokens';
import { errorLabel, METRICS, type Metrics } from 'cloakroom/metrics';
import type { BearerAuthenticator } from '../http/auth.js';
import type { TokenServices } from './services.js';

/**
 * The site's API as a resource server: verifies `Authorization: Bearer <access token>` for the API's
 * audience with the issuer's own keys, checks the route's scopes, then requires the token's `sid` session to
 * be still live, so a revoked session's tokens are refused at once. The router calls it for routes declared
 * `cookieOrBearer` (see http/auth.ts), which is where the scopes are declared.
 *
 * @example
 * ```ts
 * const router = new AppRouter({ sessions, log, errorPage, bearer: apiBearerAuthenticator(tokens) });
 * ```
 */
export function apiBearerAuthenticator(tokens: TokenServices, metrics?: Metrics): BearerAuthenticator {
  const authenticate = bearerAuthenticator(tokens);
  const verifications = metrics?.counter(METRICS.tokenVerifications);
  if (verifications === undefined) return authenticate;
  // Verifications by outcome: `valid`, or the refusal's code (invalid_token, insufficient_scope…).
  return async (authorization, scopes) => {
    try {
      const live = await authenticate(authorization, scopes);
      verifications.inc({ outcome: 'valid' });
      return live;
    } catch (error) {
      verifications.inc({ outcome: errorLabel(error) });
      throw error;
    }
  };
}

function bearerAuthenticator(tokens: TokenServices): BearerAuthenticator {
  return async (authorization, scopes) => {
    const token = await authenticateBearer(tokens.apiVerifier, authorization, { scope: scopes });
    const { sid } = token.claims;
    // The site's API is per user: only tokens minted from a session (or exchanged from one) reach it.
    const live = sid === undefined ? null : await tokens.liveSession(sid, token.claims.sub);
    if (live === null) throw new InvalidTokenError('claim_invalid', 'the session of the token has ended');
    return live;
  };
}
