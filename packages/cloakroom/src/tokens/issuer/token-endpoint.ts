import { authenticateRequestClient, readForm, type OAuthRequest } from './form.js';
import { clientCredentialsGrant } from './grants/client-credentials.js';
import { refreshGrant, type RefusalSink } from './grants/refresh.js';
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './grants/token-exchange.js';
import type { TokenIssuer, TokenResponse } from './issuer.js';
import { OAuthError } from './errors.js';

/**
 * `POST /oauth/token` as a plain function: the request's content type, `Authorization` header and body in,
 * the token response out, or an {@link OAuthError} for the `{"error","error_description"}` answer.
 *
 * @example
 * ```ts
 * const response = await handleTokenRequest(issuer, {
 *   contentType: 'application/x-www-form-urlencoded', authorization: null,
 *   body: 'grant_type=refresh_token&refresh_token=…',
 * }); // { access_token, token_type: 'Bearer', expires_in, refresh_token, scope }
 * ```
 */
export async function handleTokenRequest(
  issuer: TokenIssuer,
  request: OAuthRequest,
  refused: RefusalSink = () => {},
): Promise<TokenResponse> {
  const form = readForm(request);
  const grantType = form.get('grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required.');
  const client = await authenticateRequestClient(issuer.clients, request, form);
  const from = { ip: request.ip ?? null, userAgent: request.userAgent ?? null };
  switch (grantType) {
    case 'refresh_token':
      return refreshGrant(issuer, form, client, refused, from);
    case 'client_credentials':
      return clientCredentialsGrant(issuer, form, client, from);
    case TOKEN_EXCHANGE_GRANT:
      return tokenExchangeGrant(issuer, form, client, refused, from);
    default:
      throw new OAuthError('unsupported_grant_type', 'This grant type is not supported.');
  }
}

/**
 * `POST /oauth/revoke` (RFC 7009): revokes a refresh token's whole family. Answers the same (200) whether
 * or not the token was known, valid or already revoked; access tokens are short-lived and not revocable
 * here (`token_type_hint` is only a hint and changes nothing).
 */
export async function handleRevokeRequest(issuer: TokenIssuer, request: OAuthRequest): Promise<void> {
  const form = readForm(request);
  const token = form.get('token');
  if (token === undefined) throw new OAuthError('invalid_request', 'token is required.');
  const client = await authenticateRequestClient(issuer.clients, request, form);
  await issuer.refresh.revoke(token, client?.id ?? null);
}
