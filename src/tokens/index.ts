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
 * Errors: {@link InvalidTokenError} (401 `invalid_token`, with a stable `reason`), {@link InsufficientScopeError}
 * (403 `insufficient_scope`), {@link KeySetUnavailableError} (503 `jwks_unavailable`).
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
export { generateSigningKey, SIGNING_ALGORITHMS, type SigningAlgorithm, type SigningKey } from './keys.js';
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
  type InvalidTokenReason,
} from './errors.js';
