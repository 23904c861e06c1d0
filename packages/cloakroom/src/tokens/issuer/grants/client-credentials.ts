import { tokenResponse, type TokenIssuer, type TokenResponse } from '../issuer.js';
import { invalidClient } from '../errors.js';
import { grantScope, parseScope } from '../scope.js';
import type { ClientRecord } from '../types.js';
import { clientAudience } from './audience.js';
import { emitEvent } from '../../../events/index.js';
import type { RequestOrigin } from './refresh.js';

/**
 * `grant_type=client_credentials` (RFC 6749 §4.4), service to service: the client authenticates with HTTP
 * Basic and gets an access token whose subject is itself, for one of its audiences and within its scopes.
 * No refresh token (§4.4.3): the client can always ask again.
 */
export async function clientCredentialsGrant(
  issuer: TokenIssuer,
  form: Map<string, string>,
  client: ClientRecord | null,
  from: RequestOrigin = { ip: null, userAgent: null },
): Promise<TokenResponse> {
  if (client === null) throw invalidClient();
  const audience = clientAudience(form, client);
  const scope = grantScope(parseScope(form.get('scope')), client.scopes);
  const access = await issuer.sign({ subject: client.id, audience, clientId: client.id, scope });
  const { onEvent } = issuer.options;
  if (onEvent !== undefined) {
    emitEvent(onEvent, {
      type: 'client_credentials.issued',
      at: issuer.options.clock.now(),
      clientId: client.id,
      audience,
      scope: access.scope,
      ...from,
    });
  }
  return tokenResponse(access);
}
