import { z } from 'zod';
import { InvalidRequestError } from 'cloakroom';
import type { Session } from 'cloakroom/session';
import { SESSION_CLIENT_ID } from '../clients.js';
import { API_SCOPES } from '../config.js';
import { tokenResponse, type TokenIssuer, type TokenResponse } from '../issuer.js';
import { OAuthError } from '../oauth-error.js';
import { grantScope, parseScope } from '../scope.js';

/** The body of `POST /api/tokens`. */
export const sessionTokenRequestSchema = z.strictObject({
  audience: z.string().max(512).optional(),
  scope: z.string().max(4096).optional(),
});

/**
 * `POST /api/tokens`: a signed-in user gets an access token (for the site's API by default, or for one of
 * the configured audiences) and a refresh token bound to the session, the user, the scope and the audience.
 * The refresh family never outlives the session. Refusals are 400 `invalid_request` naming the field.
 */
export async function mintForSession(
  issuer: TokenIssuer,
  session: Session,
  request: z.output<typeof sessionTokenRequestSchema>,
): Promise<TokenResponse> {
  const audience = request.audience ?? issuer.options.apiAudience;
  if (!issuer.userAudiences.includes(audience)) {
    throw new InvalidRequestError('This audience is not available.', 'audience');
  }
  const isApi = audience === issuer.options.apiAudience;
  const allowed = isApi ? [...API_SCOPES] : issuer.options.config.extraScopes;
  let scope: string[];
  try {
    scope = grantScope(parseScope(request.scope), allowed);
  } catch (error) {
    if (error instanceof OAuthError) throw new InvalidRequestError(error.message, 'scope');
    throw error;
  }
  const access = await issuer.sign({
    subject: session.userId,
    audience,
    clientId: SESSION_CLIENT_ID,
    scope,
    sessionId: session.id,
  });
  const refreshToken = await issuer.refresh.issue(
    {
      userId: session.userId,
      clientId: SESSION_CLIENT_ID,
      scope: access.scope,
      audience,
      sessionId: session.id,
    },
    { notAfter: session.absoluteExpiresAt },
  );
  return tokenResponse(access, { refreshToken });
}
