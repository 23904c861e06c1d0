import { SESSION_CLIENT_ID } from '../clients.js';
import { tokenResponse, type TokenIssuer, type TokenResponse } from '../issuer.js';
import { invalidGrant } from '../errors.js';
import { RefreshRefusedError } from '../errors.js';
import { grantScope, parseScope } from '../scope.js';
import type { ClientRecord } from '../types.js';
import { emitEvent } from '../../../events/index.js';

/** Where a token request came from, for the security events. */
export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
}

/** Told why a refresh token was refused (for the log; the client only sees `invalid_grant`). */
export type RefusalSink = (reason: string) => void;

/**
 * `grant_type=refresh_token` (RFC 6749 §6): swaps the refresh token for a new access token and a new
 * refresh token. A narrower `scope` narrows the access token only; the family keeps what it was granted.
 * Tokens minted from a session belong to the public client `session`; a confidential client must
 * authenticate and may use only its own.
 */
export async function refreshGrant(
  issuer: TokenIssuer,
  form: Map<string, string>,
  client: ClientRecord | null,
  refused: RefusalSink,
  from: RequestOrigin = { ip: null, userAgent: null },
): Promise<TokenResponse> {
  const presented = form.get('refresh_token');
  if (presented === undefined) throw invalidGrant('refresh token');
  const requested = parseScope(form.get('scope'));
  let used;
  try {
    used = await issuer.refresh.use(presented, client?.id ?? SESSION_CLIENT_ID);
  } catch (error) {
    if (!(error instanceof RefreshRefusedError)) throw error;
    refused(error.reason);
    const { onEvent } = issuer.options;
    if (error.family !== null && onEvent !== undefined) {
      const { family } = error;
      emitEvent(onEvent, {
        type: 'refresh.reuse_detected',
        at: issuer.options.clock.now(),
        userId: family.userId,
        ...(family.sessionId === null ? {} : { sessionId: family.sessionId }),
        familyId: family.familyId,
        clientId: family.clientId,
        familyRevoked: family.revoked,
        ...from,
      });
    }
    throw invalidGrant('refresh token');
  }
  const { grant, refreshToken } = used;
  const scope = grantScope(requested, grant.scope.split(' '));
  const access = await issuer.sign({
    subject: grant.userId,
    audience: grant.audience,
    clientId: grant.clientId,
    scope,
    sessionId: grant.sessionId,
  });
  return tokenResponse(access, { refreshToken });
}
