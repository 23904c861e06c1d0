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
export {
  CloakroomError,
  CsrfRejectedError,
  StoreUnavailableError,
  InvalidRequestError,
  WeakPasswordError,
  EmailTakenError,
  InvalidCredentialsError,
  UnauthenticatedError,
  TooManyAttemptsError,
  httpErrorOf,
  type HttpError,
  type WeakPasswordReason,
  type CloakroomErrorCode,
  type CsrfRejectionReason,
  type ErrorBody,
} from './errors.js';
export { systemClock, type Clock } from './clock.js';
