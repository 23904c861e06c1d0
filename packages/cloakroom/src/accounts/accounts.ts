import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import {
  UnauthenticatedError,
  type RequestSession,
  type Session,
  type SessionManager,
} from '../session/index.js';
import {
  AccountLockedError,
  EmailTakenError,
  EmailUnverifiedError,
  InvalidCredentialsError,
  TooManyAttemptsError,
} from './errors.js';
import { storeCall } from '../lib/store-call.js';
import { normalizeEmail } from './email.js';
import { assertNotLocked, isLocked } from './lock.js';
import { PasswordHasher } from './password-hash.js';
import {
  checkNewPassword,
  MAX_PASSWORD_LENGTH,
  normalizePassword,
  passwordLength,
} from './password-policy.js';
import { SignInThrottle, type ThrottleRules } from './throttle.js';
import type { AccountUser, AttemptStore, UserRecord, UserStore } from './types.js';
import {
  emitEvent,
  markStoreFailureReported,
  resolveEventSink,
  type EventSink,
  type SignInFailureReason,
} from '../events/index.js';
import { StoreUnavailableError } from '../lib/store-unavailable.js';
import { inSpan } from '../metrics/index.js';
import type { Tracer } from '@opentelemetry/api';

export interface AccountsOptions<U> {
  users: UserStore;
  attempts: AttemptStore;
  /**
   * The session manager of the requests given to these accounts (it fixes `U`). Sign-in goes through each
   * request's own `RequestSession`, which applies this manager's trusted origins.
   */
  sessions: SessionManager<U>;
  hasher?: PasswordHasher;
  /** Throttling rules; the defaults are `ACCOUNT_RULE`, `ADDRESS_RULE` and `REGISTRATION_RULE`. */
  throttle?: ThrottleRules;
  clock?: Clock;
  /**
   * The session's user for an account, so `request.user` is set for the rest of the request that signed in
   * (later requests get it from the store). Without it, `request.user` stays `null` until the next request.
   */
  sessionUser?: (user: AccountUser) => U;
  /**
   * Refuse sign-in with 403 `email_unverified` (after the password check, so it tells nothing to someone
   * without the password) until the account's address is verified. Off by default.
   */
  requireVerifiedEmail?: boolean;
  /**
   * How recent a session must be to stand in for the password of an account that has none (federated
   * sign-in only), in `confirmPassword`: the user signs in again with the provider, then confirms within
   * this many seconds. Default 300.
   */
  freshSignInSeconds?: number;
  /**
   * Told of sign-ins (succeeded, failed with a reason, throttled) and password changes (`cloakroom/events`).
   * Default: the session manager's `onEvent`, so one hook there sees everything.
   */
  onEvent?: EventSink;
}

/** Why a password check is made: a sign-in, or a signed-in user confirming it is them. */
type CheckPurpose = 'sign_in' | 'password_confirmation';

export interface Credentials {
  email: unknown;
  password: unknown;
}

/**
 * Registration, sign-in and password changes on top of Cloakroom sessions: argon2id hashes, NIST password
 * rules, the same answer in the same time for an unknown email and a wrong password, and throttling by
 * account and by address (sign-in) and by address (registration) in the shared store.
 *
 * @example
 * ```ts
 * const accounts = new Accounts({ users, attempts, sessions });
 * const user = await accounts.signIn(request, { email, password }); // the request is now signed in
 * ```
 */
export class Accounts<U> {
  readonly #users: UserStore;
  readonly #hasher: PasswordHasher;
  readonly #throttle: SignInThrottle;
  readonly #clock: Clock;
  readonly #sessionUser: ((user: AccountUser) => U) | undefined;
  readonly #requireVerifiedEmail: boolean;
  readonly #freshSignInMs: number;
  readonly #onEvent: EventSink | null;
  /** The session manager's tracer when its `tracing` is on: password checks get a span. */
  readonly #tracer: Tracer | null;

  constructor(options: AccountsOptions<U>) {
    this.#tracer = options.sessions.config.telemetry?.tracer ?? null;
    this.#onEvent = resolveEventSink(options.onEvent) ?? options.sessions.config.onEvent;
    this.#requireVerifiedEmail = options.requireVerifiedEmail ?? false;
    this.#freshSignInMs = (options.freshSignInSeconds ?? 300) * 1000;
    this.#users = options.users;
    this.#hasher = options.hasher ?? new PasswordHasher();
    this.#clock = options.clock ?? systemClock;
    this.#sessionUser = options.sessionUser;
    this.#throttle = new SignInThrottle(options.attempts, this.#clock, options.throttle);
  }

  /** Prepares the dummy hash used for unknown emails, so the first such sign-in is not faster. */
  warmUp(): Promise<void> {
    return this.#hasher.warmUp();
  }

  /**
   * Creates an account and signs the request in with a fresh session. Registrations are throttled per client
   * address (`TooManyAttemptsError` before any hashing), and a taken email (`EmailTakenError`) is refused only
   * after the same argon2 hash as a new account, so its answer is not faster (docs/decisions.md, "The
   * registration answer").
   */
  async register(request: RequestSession<U>, input: Credentials): Promise<AccountUser> {
    request.assertLoginOrigin();
    const email = normalizeEmail(input.email);
    const password = normalizePassword(input.password);
    checkNewPassword(password, { email });
    // Counted before any hashing, so that parallel registrations see each other (see SignInThrottle.begin).
    const wait = await this.#throttle.beginRegistration(request.info.ip);
    if (wait > 0) {
      this.#throttled(request, 'registration', wait);
      throw new TooManyAttemptsError(wait / 1000);
    }
    // Hashed before the lookup: a taken email costs the same work as a new account.
    const passwordHash = await this.#hasher.hash(password);
    if ((await storeCall('users.findByEmail', () => this.#users.findByEmail(email))) !== null) {
      throw new EmailTakenError();
    }
    const user: UserRecord = { id: randomUUID(), email, passwordHash, createdAt: this.#clock.now() };
    await storeCall('users.create', () => this.#users.create(user));
    const account = { id: user.id, email: user.email };
    await request.signIn(user.id, this.#sessionUser?.(account), { method: 'registration', amr: ['pwd'] });
    return account;
  }

  /**
   * Checks the credentials and signs the request in with a fresh session. Unknown email and wrong password
   * both reject with `InvalidCredentialsError` after the same work; throttled attempts reject with
   * `TooManyAttemptsError` before any hashing.
   */
  async signIn(request: RequestSession<U>, input: Credentials): Promise<AccountUser> {
    const account = await this.verifyCredentials(request, input);
    await request.signIn(account.id, this.#sessionUser?.(account), { method: 'password', amr: ['pwd'] });
    return account;
  }

  /**
   * Checks the credentials like {@link signIn} (the same throttling, events, the same answer for an unknown
   * email and a wrong password, the verified-address rule) without signing the request in: for a sign-in
   * that goes on to a second step (`TwoFactor.beginSignIn`).
   */
  verifyCredentials(request: RequestSession<U>, input: Credentials): Promise<AccountUser> {
    if (this.#tracer === null) return this.#verifyCredentials(request, input);
    // The span names the user once the password matched; never the email or the password.
    return inSpan(this.#tracer, 'cloakroom.accounts.verify_credentials', {}, async (span) => {
      const account = await this.#verifyCredentials(request, input);
      span.setAttribute('enduser.id', account.id);
      return account;
    });
  }

  async #verifyCredentials(request: RequestSession<U>, input: Credentials): Promise<AccountUser> {
    request.assertLoginOrigin();
    const email = normalizeEmail(input.email);
    const password = normalizePassword(input.password);
    let user;
    try {
      user = await this.#checkPassword(email, password, request, 'sign_in');
    } catch (error) {
      if (error instanceof StoreUnavailableError) this.#storeUnavailable(request, 'sign_in', error);
      throw error;
    }
    // Only now, after a correct password: a wrong one answers `invalid_credentials` as for any account.
    if (isLocked(user)) {
      this.#failed(request, 'account_locked', user.id);
      throw new AccountLockedError();
    }
    if (this.#requireVerifiedEmail && user.emailVerified !== true) {
      this.#failed(request, 'email_unverified', user.id);
      throw new EmailUnverifiedError();
    }
    return { id: user.id, email: user.email };
  }

  /**
   * Confirms that the signed-in user is at the keyboard before a sensitive change (email change, account
   * deletion): the current password, checked and throttled like a sign-in (401 `invalid_credentials`). An
   * account without a password (federated only) confirms with a fresh sign-in instead: its session must be
   * younger than `freshSignInSeconds`, so the user signs in with the provider again first.
   */
  async confirmPassword(request: RequestSession<U>, currentPassword: unknown): Promise<UserRecord> {
    const session = request.session;
    if (session === null) throw new UnauthenticatedError();
    const stored = await storeCall('users.findById', () => this.#users.findById(session.userId));
    if (stored === null) throw new UnauthenticatedError();
    if (stored.passwordHash === null) {
      if (session.createdAt < this.#clock.now() - this.#freshSignInMs) throw new InvalidCredentialsError();
      return stored;
    }
    const password = normalizePassword(currentPassword, 'currentPassword');
    return this.#checkPassword(stored.email, password, request, 'password_confirmation');
  }

  /**
   * Changes the signed-in user's password: checks the current one (throttled like a sign-in), ends every
   * other session of the user and rotates the current one.
   */
  async changePassword(
    request: RequestSession<U>,
    input: { currentPassword: unknown; newPassword: unknown },
  ): Promise<{ user: AccountUser; session: Session }> {
    const session = request.session;
    if (session === null) throw new UnauthenticatedError();
    const current = normalizePassword(input.currentPassword, 'currentPassword');
    const next = normalizePassword(input.newPassword, 'newPassword');
    const stored = await storeCall('users.findById', () => this.#users.findById(session.userId));
    if (stored === null) throw new UnauthenticatedError();
    checkNewPassword(next, { email: stored.email });
    const user = await this.#checkPassword(stored.email, current, request, 'password_confirmation');
    const passwordHash = await this.#hasher.hash(next);
    await storeCall('users.setPasswordHash', () => this.#users.setPasswordHash(user.id, passwordHash));
    const ended = await request.revokeOtherSessions();
    const rotated = await request.rotate();
    if (rotated === null) throw new UnauthenticatedError();
    if (this.#onEvent !== null) {
      emitEvent(this.#onEvent, {
        type: 'password.changed',
        at: this.#clock.now(),
        userId: user.id,
        sessionId: rotated.id,
        via: 'change',
        sessionsEnded: ended,
        ip: request.info.ip,
        userAgent: request.info.userAgent,
      });
    }
    return { user: { id: user.id, email: user.email }, session: rotated };
  }

  /**
   * For sign-in methods other than the password (a passkey, a second factor, a provider): after the method's
   * own proof, refuses an account an operator locked (`AccountLockedError`, 403 `account_locked`) or one
   * that no longer exists (`UnauthenticatedError`). Password sign-in does the same check itself.
   */
  async assertCanSignIn(userId: string): Promise<UserRecord> {
    const user = await storeCall('users.findById', () => this.#users.findById(userId));
    if (user === null) throw new UnauthenticatedError();
    assertNotLocked(user);
    return user;
  }

  /**
   * Runs a sign-in that names no account before its proof (a discoverable passkey) under the sign-in
   * throttle's client-address counters: `TooManyAttemptsError` (429, and `sign_in.throttled`) before
   * `attempt` when the address made too many failures; a rejection of `attempt` stays counted; a success
   * takes the attempt back.
   */
  async throttleByAddress<T>(request: RequestSession<U>, attempt: () => Promise<T>): Promise<T> {
    const { ip } = request.info;
    const wait = await this.#throttle.beginByAddress(ip);
    if (wait > 0) {
      this.#throttled(request, 'sign_in', wait);
      throw new TooManyAttemptsError(wait / 1000);
    }
    const result = await attempt();
    await this.#throttle.forgiveAddress(ip);
    return result;
  }

  /** Drops throttling counters whose windows are over. */
  sweepAttempts(): Promise<number> {
    return this.#throttle.sweep();
  }

  async #checkPassword(
    email: string,
    password: string,
    request: RequestSession<U>,
    purpose: CheckPurpose,
  ): Promise<UserRecord> {
    const { ip } = request.info;
    // Counts the attempt against the account and the address before the password is checked (see
    // SignInThrottle.begin); a success takes the address's count back.
    const wait = await this.#throttle.begin(email, ip);
    if (wait > 0) {
      this.#throttled(request, purpose, wait);
      throw new TooManyAttemptsError(wait / 1000);
    }
    // A password no account can have is refused before any hashing (argon2 of a huge input costs).
    const possible =
      password.length <= MAX_PASSWORD_LENGTH * 2 && passwordLength(password) <= MAX_PASSWORD_LENGTH;
    const user = possible ? await storeCall('users.findByEmail', () => this.#users.findByEmail(email)) : null;
    let valid = false;
    if (user === null || user.passwordHash === null) {
      if (possible) await this.#hasher.verifyDummy(password);
    } else {
      const check = await this.#hasher.verify(user.passwordHash, password);
      valid = check.valid;
      if (check.valid && check.needsRehash) {
        const upgraded = await this.#hasher.hash(password);
        await storeCall('users.setPasswordHash', () => this.#users.setPasswordHash(user.id, upgraded));
      }
    }
    if (!valid || user === null) {
      // A confirmation by a signed-in user is not a sign-in: its failure is the 401 alone (and the throttle).
      if (purpose === 'sign_in') {
        const reason: SignInFailureReason =
          user === null ? 'unknown_account' : user.passwordHash === null ? 'no_password' : 'wrong_password';
        this.#failed(request, reason, user?.id);
      }
      throw new InvalidCredentialsError();
    }
    await this.#throttle.recordSuccess(email, ip);
    return user;
  }

  // Never the address typed in: people type their password into the email field.
  #failed(request: RequestSession<U>, reason: SignInFailureReason, userId: string | undefined): void {
    if (this.#onEvent === null) return;
    emitEvent(this.#onEvent, {
      type: 'sign_in.failed',
      at: this.#clock.now(),
      ...(userId === undefined ? {} : { userId }),
      reason,
      method: 'password',
      ip: request.info.ip,
      userAgent: request.info.userAgent,
    });
  }

  #throttled(request: RequestSession<U>, action: CheckPurpose | 'registration', waitMs: number): void {
    if (this.#onEvent === null) return;
    const session = request.session;
    emitEvent(this.#onEvent, {
      type: 'sign_in.throttled',
      at: this.#clock.now(),
      ...(action === 'password_confirmation' && session !== null
        ? { userId: session.userId, sessionId: session.id }
        : {}),
      action,
      retryAfterSeconds: Math.ceil(waitMs / 1000),
      ip: request.info.ip,
      userAgent: request.info.userAgent,
    });
  }

  #storeUnavailable(request: RequestSession<U>, operation: string, error: unknown): void {
    if (this.#onEvent === null) return;
    markStoreFailureReported(error);
    emitEvent(this.#onEvent, {
      type: 'store.unavailable',
      at: this.#clock.now(),
      operation,
      ip: request.info.ip,
      userAgent: request.info.userAgent,
    });
  }
}
