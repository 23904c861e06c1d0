/**
 * The security events Cloakroom emits, as one discriminated union on `type`. Every event carries who and where
 * as far as the library knows them, and never a secret: no session token or cookie value, no password, no
 * access, refresh, subject or logout token, no client secret. Times are milliseconds since the epoch, read
 * from the configured clock.
 *
 * Names are `<subject>.<what happened>`; docs/events.md lists each with its fields.
 */

/** The fields every event has. */
export interface EventBase {
  /** When it happened (ms since the epoch, the configured clock). */
  at: number;
  /** The user it concerns, when known (a failed sign-in for an unknown address has none). */
  userId?: string;
  /** The public id of the session it concerns (never the token); absent when there is none. */
  sessionId?: string;
  /** The client address of the request, as the application determined it; `null` when unknown. */
  ip: string | null;
  /** The request's `User-Agent`; `null` when absent or unknown (admin and background actions). */
  userAgent: string | null;
}

/**
 * How a user signed in. The library's own paths say `password`, `registration` (signed in by creating the
 * account), `password_reset`, `federation` and `migration` (a legacy credential exchanged); an application's
 * own sign-in paths (passkeys, one-time codes) name theirs.
 */
export type SignInMethod =
  'password' | 'registration' | 'password_reset' | 'federation' | 'migration' | (string & {});

/**
 * Why a sign-in was refused. `unknown_account` and `wrong_password` are told apart here, for the operator,
 * though the client gets one answer for both.
 */
export type SignInFailureReason =
  | 'unknown_account'
  | 'wrong_password'
  | 'no_password'
  | 'email_unverified'
  | 'account_locked'
  | (string & {});

/** Who ended a session: its user (from another session), an administrator, the identity provider, the system. */
export type RevokedBy = 'user' | 'admin' | 'provider' | 'system';

export interface SignInSucceededEvent extends EventBase {
  type: 'sign_in.succeeded';
  userId: string;
  /** The new session. */
  sessionId: string;
  method: SignInMethod;
  /** Authentication method references (RFC 8176: `pwd`, `otp`, `hwk`, `mfa`…), when the path knows them. */
  amr?: string[];
}

export interface SignInFailedEvent extends EventBase {
  type: 'sign_in.failed';
  reason: SignInFailureReason;
  method: SignInMethod;
}

export interface SignInThrottledEvent extends EventBase {
  type: 'sign_in.throttled';
  /** What was throttled: a sign-in, a registration, or a password confirmation by a signed-in user. */
  action: 'sign_in' | 'registration' | 'password_confirmation';
  retryAfterSeconds: number;
}

export interface SignedOutEvent extends EventBase {
  type: 'session.signed_out';
  userId: string;
  sessionId: string;
}

export interface SessionRevokedEvent extends EventBase {
  type: 'session.revoked';
  by: RevokedBy;
  /** The revoked session (`sessionId`) when one was revoked by id; absent when all of a user's were. */
  sessionId?: string;
  /** How many sessions ended (1 for one by id, whether or not it was still live). */
  count: number;
}

export interface SignedOutEverywhereEvent extends EventBase {
  type: 'session.signed_out_everywhere';
  userId: string;
  /** The session the request came with (it ended too). */
  sessionId: string;
  count: number;
}

export interface ReauthenticatedEvent extends EventBase {
  type: 'session.reauthenticated';
  userId: string;
  /** The session after the proof: re-authentication rotates it, so this is its new public id. */
  sessionId: string;
  /** The session's public id before the rotation (the one the request came with). */
  previousSessionId: string;
  /**
   * How the user proved who they are again: the caller's name for it (`password`, `totp`, `recovery_code`,
   * `passkey`…), `unspecified` when not given. Never the proof itself.
   */
  method: SignInMethod;
  /** The RFC 8176 methods just used (`pwd`, `otp`, `hwk`…), as given to `reauthenticate`. */
  amr: string[];
}

export interface PasswordChangedEvent extends EventBase {
  type: 'password.changed';
  userId: string;
  /** `change`: by the signed-in user with the current password; `reset`: by a reset link. */
  via: 'change' | 'reset';
  /** Sessions ended by the change (every other session, or every session for a reset). */
  sessionsEnded: number;
}

export interface RefreshReuseDetectedEvent extends EventBase {
  type: 'refresh.reuse_detected';
  userId: string;
  /** The session the family was minted from, if any. */
  sessionId?: string;
  familyId: string;
  clientId: string;
  /** `true` when this use revoked the family (a concurrent reuse may find it revoked already). */
  familyRevoked: boolean;
}

export interface TokenExchangedEvent extends EventBase {
  type: 'token.exchanged';
  /** The token's subject. */
  userId: string;
  /** The client that exchanged the token (the new token's actor). */
  clientId: string;
  audience: string;
  scope: string;
}

export interface ClientCredentialsIssuedEvent extends EventBase {
  type: 'client_credentials.issued';
  clientId: string;
  audience: string;
  scope: string;
}

export interface FederatedSignInEvent extends EventBase {
  type: 'federation.signed_in';
  userId: string;
  sessionId: string;
  /** The provider's configured id. */
  provider: string;
  /** Whether the sign-in created the account. */
  accountCreated: boolean;
}

export interface BackchannelLogoutEvent extends EventBase {
  type: 'federation.backchannel_logout';
  provider: string;
  /** What the logout token named: the provider session (`sid`) or the whole account (`sub`). */
  scope: 'sid' | 'sub';
  /** Sessions ended (at most; one already gone counts too). */
  sessionsEnded: number;
}

export interface CsrfRejectedEvent extends EventBase {
  type: 'csrf.rejected';
  /** Which check refused: an unsafe request with the session cookie, or a sign-in (login CSRF). */
  check: 'session' | 'login';
  /** The refusal reason of `CsrfRejectedError`. */
  reason: string;
  method: string;
}

export interface StoreUnavailableEvent extends EventBase {
  type: 'store.unavailable';
  /** What was being done when the store failed (`validate`, `sign_in`, …). */
  operation: string;
}

/** Every security event; switch on `type`. */
export type SecurityEvent =
  | SignInSucceededEvent
  | SignInFailedEvent
  | SignInThrottledEvent
  | SignedOutEvent
  | SessionRevokedEvent
  | SignedOutEverywhereEvent
  | ReauthenticatedEvent
  | PasswordChangedEvent
  | RefreshReuseDetectedEvent
  | TokenExchangedEvent
  | ClientCredentialsIssuedEvent
  | FederatedSignInEvent
  | BackchannelLogoutEvent
  | CsrfRejectedEvent
  | StoreUnavailableEvent;

/** One of the event type names, e.g. `sign_in.failed`. */
export type SecurityEventType = SecurityEvent['type'];

/** Every event type name, in the order of docs/events.md. */
export const SECURITY_EVENT_TYPES: readonly SecurityEventType[] = [
  'sign_in.succeeded',
  'sign_in.failed',
  'sign_in.throttled',
  'session.signed_out',
  'session.revoked',
  'session.signed_out_everywhere',
  'session.reauthenticated',
  'password.changed',
  'refresh.reuse_detected',
  'token.exchanged',
  'client_credentials.issued',
  'federation.signed_in',
  'federation.backchannel_logout',
  'csrf.rejected',
  'store.unavailable',
];

/**
 * Receives every event, synchronously, on the request's path: keep it cheap (log it, push it to a queue).
 * Whatever it throws is caught, and a promise it returns is never awaited (its rejection is caught too), so a
 * failing or slow hook never breaks or holds up a request.
 */
export type EventSink = (event: SecurityEvent) => unknown;
