import { API_SCOPES, type TokenConfig } from './config.js';
import { TOKEN_EXCHANGE_GRANT } from 'cloakroom/tokens/issuer';

/**
 * RFC 8414 authorization server metadata for the site's issuer. There is no authorization endpoint (tokens
 * come from a signed-in session at `POST /api/tokens`, or from the grants below), so `response_types_supported`
 * is empty.
 */
export function authorizationServerMetadata(origin: string, config: TokenConfig): Record<string, unknown> {
  return {
    issuer: origin,
    token_endpoint: `${origin}/oauth/token`,
    jwks_uri: `${origin}/.well-known/jwks.json`,
    revocation_endpoint: `${origin}/oauth/revoke`,
    scopes_supported: [...API_SCOPES, ...config.extraScopes],
    response_types_supported: [],
    grant_types_supported: ['refresh_token', 'client_credentials', TOKEN_EXCHANGE_GRANT],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'none'],
  };
}
