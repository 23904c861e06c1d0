/**
 * `cloakroom/tokens/issuer`: the token server as a library, for sites that run their own auth API. Plain
 * values in and out (no HTTP framework): the HTTP glue reads a request's content type, `Authorization`
 * header and body, and answers what these functions return.
 *
 * - {@link TokenIssuer}: signs access tokens (`cloakroom/tokens`' keyring) and holds the refresh tokens and
 *   clients; {@link handleTokenRequest} (`POST /oauth/token`: `refresh_token`, `client_credentials`, RFC 8693
 *   token exchange) and {@link handleRevokeRequest} (RFC 7009) are built on it, and {@link mintForSession}
 *   gives a signed-in session its first tokens.
 * - {@link RefreshTokens}: opaque refresh tokens in families, stored hashed, rotated on every use, a reuse
 *   revoking the whole family (RFC 9700); revocation by family, session, user or client.
 * - {@link registerClient} / {@link authenticateClient}: confidential clients, secrets stored hashed and
 *   compared in constant time.
 * - {@link revokeRefreshTokensWithSessions}: a session-store wrapper that ends a session's families with it;
 *   {@link readLiveSession}: whether a token's session is still live.
 * - Stores ({@link RefreshTokenStore}, {@link ClientStore}): `cloakroom/tokens/issuer/memory`, `…/sqlite`,
 *   `…/postgres`, `…/redis`.
 *
 * Errors are `CloakroomError`s: {@link OAuthError} (code = the RFC 6749 `error`, with `status` and `body()`),
 * {@link RefreshRefusedError} (`invalid_grant`, with a `reason` for the log), {@link ClientExistsError}
 * (`client_exists`), and `store_unavailable` for a failing store.
 *
 * @packageDocumentation
 */
export type {
  ClientRecord,
  ClientStore,
  FamilyRevocationReason,
  FamilySelector,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from './types.js';
export {
  ClientExistsError,
  invalidClient,
  invalidGrant,
  OAuthError,
  RefreshRefusedError,
  type OAuthErrorCode,
  type RefreshRefusal,
  type ReusedFamily,
} from './errors.js';
export { RefreshTokens, type RefreshGrant, type RefreshTokenOptions } from './refresh.js';
export {
  AUDIENCE,
  authenticateClient,
  CLIENT_ID,
  hashClientSecret,
  registerClient,
  SCOPE_TOKEN,
  SESSION_CLIENT_ID,
  verifyClientSecret,
  type NewClient,
} from './clients.js';
export {
  TokenIssuer,
  tokenResponse,
  type AccessGrant,
  type AccessTokenVerifier,
  type SessionAudience,
  type SignedAccess,
  type TokenIssuerOptions,
  type TokenResponse,
} from './issuer.js';
export { grantScope, parseScope, scopeList } from './scope.js';
export {
  authenticateRequestClient,
  basicCredentials,
  MAX_FORM_BYTES,
  readForm,
  type OAuthRequest,
} from './form.js';
export { handleRevokeRequest, handleTokenRequest } from './token-endpoint.js';
export { mintForSession, type SessionTokenRequest } from './grants/session.js';
export { type RefusalSink } from './grants/refresh.js';
export { ACCESS_TOKEN_TYPE_URI, MAX_ACTOR_DEPTH, TOKEN_EXCHANGE_GRANT } from './grants/token-exchange.js';
export { revokeRefreshTokensWithSessions } from './session-revocation.js';
export { readLiveSession } from '../../session/index.js';
