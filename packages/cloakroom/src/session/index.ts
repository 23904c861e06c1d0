export { SessionManager, createSessionManager } from './manager.js';
export type { SessionManagerOptions, SessionConfig } from './config.js';
export type { SessionCookieOptions, CookieSettings } from './cookie.js';
export type { CreateSessionOptions, IssuedSession, SessionAuth, SessionMetadata } from './create.js';
export type { RotateSessionOptions } from './rotate.js';
export { isRecentAuth, mergeAmr, recentAuthGuard, DEFAULT_RECENT_AUTH_SECONDS } from './recent-auth.js';
export type { LegacyExchange } from './legacy.js';
export type { Session } from './session.js';
export type { InvalidSessionReason, ValidationResult } from './validate.js';
export { Keyring } from './keyring.js';
export { UnauthenticatedError, ReauthenticationRequiredError } from './errors.js';
export { isLoopbackOrigin, normalizeOrigin } from './origin.js';
export {
  RequestSession,
  loadRequestSession,
  type RequestInfo,
  type CookieSink,
  type SignInDetails,
  type SignInOptions,
  type ReauthenticateOptions,
} from './request-session.js';
export type { RevokeOptions } from './revoke.js';
// The token's shape only (no secret is checked): lets `cloakroom/inspect` recognise a session token.
export { parseToken, type TokenParts } from './token.js';
export { readLiveSession } from './live-session.js';
