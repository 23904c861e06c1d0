import { InvalidRequestError } from '../../../errors.js';
import type { Session } from '../../../session/session.js';
import { SESSION_CLIENT_ID } from '../clients.js';
import { tokenResponse, type TokenIssuer, type TokenResponse } from '../issuer.js';
import { OAuthError } from '../errors.js';
import { grantScope, parseScope } from '../scope.js';

/** What a signed-in user asks for: an audience (default: the issuer's first session audience) and a scope. */
export interface SessionTokenRequest {
  audience?: string | undefined;
  /** Space-separated; default: every scope the audience allows. */
  scope?: string | undefined;
}

/**
 * A signed-in user gets an access token (for the issuer's first session audience by default, or for another
 * of its `sessionAudiences`) and a refresh token bound to the session, the user, the scope and the audience:
 * what the site's `POST /api/tokens` answers. The refresh family never outlives the session. Refusals are
 * `InvalidRequestError` (400 `invalid_request`) naming the field.
 *
 * @example
 * ```ts
 * const response = await mintForSession(issuer, session, { scope: 'notes:read' });
 * ```
 */
export async function mintForSession(
  issuer: TokenIssuer,
  session: Session,
  request: SessionTokenRequest,
): Promise<TokenResponse> {
  const { sessionAudiences } = issuer.options;
  const audience = request.audience ?? sessionAudiences[0]?.audience;
  const entry = sessionAudiences.find((candidate) => candidate.audience === audience);
  if (entry === undefined) {
    throw new InvalidRequestError('This audience is not available.', 'audience');
  }
  const allowed = entry.scopes;
  const { audience: granted } = entry;
  let scope: string[];
  try {
    scope = grantScope(parseScope(request.scope), allowed);
  } catch (error) {
    if (error instanceof OAuthError) throw new InvalidRequestError(error.message, 'scope');
    throw error;
  }
  const access = await issuer.sign({
    subject: session.userId,
    audience: granted,
    clientId: SESSION_CLIENT_ID,
    scope,
    sessionId: session.id,
  });
  const refreshToken = await issuer.refresh.issue(
    {
      userId: session.userId,
      clientId: SESSION_CLIENT_ID,
      scope: access.scope,
      audience: granted,
      sessionId: session.id,
    },
    { notAfter: session.absoluteExpiresAt },
  );
  return tokenResponse(access, { refreshToken });
}
