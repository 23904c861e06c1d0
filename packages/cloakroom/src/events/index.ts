/**
 * `cloakroom/events`: the typed security event stream. Give an `onEvent` hook to the session manager, the
 * accounts and the token issuer (one function, or an {@link EventStream}'s `onEvent` to fan out to listeners
 * and async iterators), and every sign-in, sign-out, revocation, password change, refresh-token reuse, token
 * grant, CSRF refusal and store outage arrives as a {@link SecurityEvent}: who, when, from where, and never a
 * token, cookie or password. Without a hook nothing is built. See docs/events.md.
 *
 * @example
 * ```ts
 * import { EventStream } from 'cloakroom/events';
 * const events = new EventStream();
 * const sessions = createSessionManager({ store, origin, keys, onEvent: events.onEvent });
 * events.subscribe((event) => log.info({ event }, event.type));
 * ```
 *
 * @packageDocumentation
 */
export type {
  BackchannelLogoutEvent,
  ClientCredentialsIssuedEvent,
  CsrfRejectedEvent,
  EventBase,
  EventSink,
  FederatedSignInEvent,
  PasswordChangedEvent,
  ReauthenticatedEvent,
  RefreshReuseDetectedEvent,
  RevokedBy,
  SecurityEvent,
  SecurityEventType,
  SessionRevokedEvent,
  SignedOutEvent,
  SignedOutEverywhereEvent,
  SignInFailedEvent,
  SignInFailureReason,
  SignInMethod,
  SignInSucceededEvent,
  SignInThrottledEvent,
  StoreUnavailableEvent,
  TokenExchangedEvent,
} from './types.js';
export { SECURITY_EVENT_TYPES } from './types.js';
export {
  combineSinks,
  emitEvent,
  isStoreFailureReported,
  markStoreFailureReported,
  resolveEventSink,
} from './emit.js';
export { EventStream, type EventIterator, type EventIteratorOptions } from './stream.js';
