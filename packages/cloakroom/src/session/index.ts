export { SessionManager, createSessionManager } from './manager.js';
export type { SessionManagerOptions, SessionConfig } from './config.js';
export type { SessionCookieOptions, CookieSettings } from './cookie.js';
export type { IssuedSession, SessionMetadata } from './create.js';
export type { Session } from './session.js';
export type { InvalidSessionReason, ValidationResult } from './validate.js';
export { Keyring } from './keyring.js';
export { UnauthenticatedError } from './errors.js';
export { isLoopbackOrigin, normalizeOrigin } from './origin.js';
