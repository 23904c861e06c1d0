export * from './session/index.js';
export { MemoryStore, type MemoryStoreOptions } from './stores/memory.js';
export type {
  ImmediateRead,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from './stores/index.js';
export {
  checkRequestOrigin,
  isUnsafeMethod,
  type OriginCheckInput,
  type OriginCheckMode,
} from './csrf/index.js';
// Errors: the shared base, and every feature's own classes. Each `errors.ts` depends on the base alone, so
// exporting them all here loads no feature (no jose, no openid-client) and one import reaches every class.
export {
  CloakroomError,
  InvalidRequestError,
  httpErrorOf,
  type HttpError,
  type CloakroomErrorCode,
  type ErrorBody,
} from './errors.js';
export { CsrfRejectedError, type CsrfRejectionReason } from './csrf/errors.js';
export { UnauthenticatedError } from './session/errors.js';
export { StoreUnavailableError } from './stores/errors.js';
export { InvalidationPublishError } from './stores/cached/errors.js';
export {
  WeakPasswordError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidPasskeyError,
  TooManyAttemptsError,
  EmailUnverifiedError,
  AccountLockedError,
  InvalidOneTimeTokenError,
  InvalidCodeError,
  TwoFactorNotEnabledError,
  type WeakPasswordReason,
} from './accounts/errors.js';
export {
  InvalidTokenError,
  InsufficientScopeError,
  KeySetUnavailableError,
  MissingTokenError,
  type InvalidTokenReason,
} from './tokens/errors.js';
export { FederationError, type FederationFailureReason } from './federation/errors.js';
export { InspectError, type InspectErrorCode } from './inspect/errors.js';
export { systemClock, type Clock } from './clock.js';
