export {
  OidcRelyingParty,
  type RelyingPartyOptions,
  type SignInResult,
  type SignInStart,
  type VerifiedIdentity,
} from './relying-party.js';
export {
  parseProviderList,
  DEFAULT_SCOPES,
  type ProviderSettings,
  type EmailVerifiedClaim,
} from './config.js';
export { FederationError, type FederationFailureReason } from './errors.js';
export type { IdTokenAlgorithm } from './id-token.js';
export type { LogoutRequest } from './logout-token.js';
export type { FetchFunction } from './discovery.js';
export { PreLoginCookie, DEFAULT_PRE_LOGIN_SECONDS, type PreLoginRecord } from './pre-login.js';
export { safeReturnTo } from './return-to.js';
export { parseIssuer, isLoopbackHttp } from './issuer.js';
export type { FederationStateStore } from './stores/types.js';
export { MemoryFederationStateStore } from './stores/memory.js';
export {
  SqliteFederationStateStore,
  migrateSqliteFederationState,
  SQLITE_FEDERATION_STATE_MIGRATIONS,
} from './stores/sqlite.js';
export {
  PostgresFederationStateStore,
  migratePostgresFederationState,
  POSTGRES_FEDERATION_STATE_MIGRATIONS,
  type PostgresFederationOptions,
} from './stores/postgres.js';
export { RedisFederationStateStore, type RedisFederationOptions } from './stores/redis.js';
