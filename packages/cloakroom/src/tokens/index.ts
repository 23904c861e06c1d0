/**
 * `cloakroom/tokens`: JWT access tokens where they belong — issued by an auth API, verified locally by other
 * services. Everything JOSE goes through `jose`; nothing is hand-rolled.
 *
 * Signing (the issuer):
 * - {@link loadOrCreateKeyring}`({ dir | storage, alg?, clock?, maxTokenLifetimeSeconds? })` → a
 *   {@link SigningKeyring}: `signingKey()` → `{ kid, alg, key }` (the current key), `publicJwks()` (current, next
 *   and recently retired public keys, public members only), `rotate()` (next → current → retired, new next),
 *   `list()` (kids, states and dates, no key material), `reload()` (pick up another process's rotation).
 *   Keys are EdDSA (Ed25519) by default, ES256 or RS256 on request, kept in `<dir>/signing-keys.json` (0600,
 *   written atomically) or any {@link KeyringStorage}.
 * - {@link signAccessToken}`({ keyring, issuer, subject, audience, clientId, scope, lifetimeSeconds?, sessionId?,
 *   actor? })` → `{ token, jti, kid, issuedAt, expiresAt, expiresIn }`: an RFC 9068 token (`typ: at+jwt`).
 *
 * Verifying (any service):
 * - {@link createVerifier}`({ issuer, audience, algorithms, jwks | secret, remote?, clockToleranceSeconds?,
 *   maxTokenAgeSeconds?, maxLifetimeSeconds?, cache?, clock? })` → `verify(token)` → `{ claims, header, scopes }`.
 *   `clearCache()` and `reloadKeys()` (refetch a remote key set now, after a key compromise).
 *   `jwks` is the issuer's JWKS URL (cached, refetched on an unknown kid after a cooldown, size-capped, with a
 *   timeout), a fixed key set, or a live source such as the issuer's own `SigningKeyring`.
 * - HTTP (RFC 6750): {@link readBearerToken}, {@link authenticateBearer}, {@link bearerErrorOf} (401
 *   `invalid_token` with one identical body for every invalid token, 403 `insufficient_scope`), Web
 *   {@link withAccessToken} / {@link accessTokenOf} / {@link bearerErrorResponse}, node:http
 *   {@link accessTokenOfNode} / {@link sendBearerError}; Express in `cloakroom/tokens/express`.
 *
 * Confidential claims (JWE, nested: signed then encrypted): {@link encryptToken}, {@link createNestedVerifier},
 * {@link generateEncryptionKey}.
 *
 * Errors: {@link InvalidTokenError} (401 `invalid_token`, with a stable `reason`), {@link InsufficientScopeError}
 * (403 `insufficient_scope`), {@link KeySetUnavailableError} (503 `jwks_unavailable`), {@link MissingTokenError}
 * (401 `unauthenticated`).
 *
 * @packageDocumentation
 */
export { loadOrCreateKeyring, SigningKeyring, type KeyInfo, type KeyringOptions } from './keyring.js';
export type { KeyState } from './keyring-document.js';
export {
  fileKeyringStorage,
  memoryKeyringStorage,
  KEYRING_FILE,
  type KeyringStorage,
} from './keyring-storage.js';
export {
  generateSigningKey,
  isSigningAlgorithm,
  SIGNING_ALGORITHMS,
  type SigningAlgorithm,
  type SigningKey,
} from './keys.js';
export {
  ACCESS_TOKEN_TYPE,
  signAccessToken,
  type AccessTokenOptions,
  type Actor,
  type SignedAccessToken,
  type SigningKeySource,
} from './sign.js';
export {
  DEFAULT_ACCESS_TOKEN_SECONDS,
  MAX_ACCESS_TOKEN_SECONDS,
  MAX_CLOCK_TOLERANCE_SECONDS,
  MAX_TOKEN_BYTES,
} from './limits.js';
export {
  InsufficientScopeError,
  InvalidTokenError,
  KeySetUnavailableError,
  MissingTokenError,
  type InvalidTokenReason,
} from './errors.js';
export {
  createVerifier,
  type AccessTokenClaims,
  type TokenVerifier,
  type VerificationAlgorithm,
  type VerifiedAccessToken,
  type VerifierOptions,
} from './verify.js';
export type { FetchLike, KeySetOption, PublicKeySetSource, RemoteKeySetOptions } from './key-source.js';
export {
  authenticateBearer,
  bearerErrorOf,
  INVALID_TOKEN_BODY,
  readBearerToken,
  requireScopes,
  type AuthenticateOptions,
  type BearerErrorAnswer,
} from './bearer.js';
export { accessTokenOf, bearerErrorResponse, withAccessToken, type AccessTokenHandler } from './web.js';
export { accessTokenOfNode, sendBearerError } from './node.js';
export {
  createNestedVerifier,
  encryptToken,
  generateEncryptionKey,
  type ContentEncryptionAlgorithm,
  type EncryptionKey,
  type EncryptOptions,
  type KeyManagementAlgorithm,
  type NestedTokenVerifier,
  type NestedVerifierOptions,
} from './jwe.js';
