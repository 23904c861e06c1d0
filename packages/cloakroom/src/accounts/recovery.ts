import { emitEvent } from '../events/index.js';
import { hash } from 'node:crypto';
import { systemClock, type Clock } from '../clock.js';
import { storeCall } from '../lib/store-call.js';
import { UnauthenticatedError, type RequestSession, type SessionManager } from '../session/index.js';
import type { Accounts } from './accounts.js';
import { normalizeEmail } from './email.js';
import { assertNotLocked, isLocked } from './lock.js';
import { EmailTakenError, InvalidOneTimeTokenError, TooManyAttemptsError } from './errors.js';
import type { Mailer } from './mail/mailer.js';
import type { TwoFactor } from './mfa/two-factor.js';
import type { Passkeys } from './passkeys/passkeys.js';
import { DEFAULT_MAIL_TEMPLATES, type MailTemplates } from './mail/templates.js';
import { generateOneTimeToken, hashOneTimeToken, readOneTimeToken } from './one-time-token.js';
import { PasswordHasher } from './password-hash.js';
import { checkNewPassword, normalizePassword } from './password-policy.js';
import type {
  AccountUser,
  AttemptStore,
  OneTimeTokenPurpose,
  OneTimeTokenRecord,
  OneTimeTokenStore,
  RecoveryUserStore,
} from './types.js';

/** A hard cap: at most `limit` requests per key in a fixed window, then 429 until the window ends. */
export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** The limits of {@link AccountRecovery}; each defaults to the constant of that name. */
export interface RecoveryLimits {
  /** Verification mails per user: {@link VERIFY_REQUEST_LIMIT}. */
  verifyRequest?: RateLimit;
  /** Reset requests per address (known or not): {@link RESET_ADDRESS_LIMIT}. */
  resetPerAddress?: RateLimit;
  /** Reset requests per client address: {@link RESET_IP_LIMIT}. */
  resetPerIp?: RateLimit;
}

/** 5 verification mails an hour per user. */
export const VERIFY_REQUEST_LIMIT: RateLimit = { limit: 5, windowSeconds: 3600 };
/** 5 reset requests an hour per email address, whether it has an account or not. */
export const RESET_ADDRESS_LIMIT: RateLimit = { limit: 5, windowSeconds: 3600 };
/** 50 reset requests an hour per client address (many people can share one). */
export const RESET_IP_LIMIT: RateLimit = { limit: 50, windowSeconds: 3600 };

export interface AccountRecoveryOptions<U> {
  /** The site's accounts: their password checks (throttled) confirm sensitive changes. */
  accounts: Accounts<U>;
  users: RecoveryUserStore;
  tokens: OneTimeTokenStore;
  /** Where the request limits are counted (the accounts' attempt store will do). */
  attempts: AttemptStore;
  sessions: SessionManager<U>;
  mailer: Mailer;
  /** The site's origin, `https://example.com`: the links are `<origin>/verify-email?token=…` and so on. */
  origin: string;
  /** Mails to use instead of the default ones, by name. */
  templates?: Partial<MailTemplates>;
  hasher?: PasswordHasher;
  clock?: Clock;
  limits?: RecoveryLimits;
  /** How long a verification (or email-change) link works; default 24 h. */
  verifyLinkSeconds?: number;
  /** How long a reset link works; default 30 minutes. */
  resetLinkSeconds?: number;
  /** The session's user for an account (see `AccountsOptions.sessionUser`). */
  sessionUser?: (user: AccountUser) => U;
  /**
   * The site's passkeys, removed with the account by `deleteAccount`. Needed wherever the passkey store
   * does not delete them with the user row by itself (memory, Redis); harmless with the SQL stores.
   */
  passkeys?: Pick<Passkeys, 'removeAll'>;
  /**
   * The site's two-factor sign-in: `deleteAccount` deletes the TOTP secret and recovery codes with the
   * account. Needed with the memory and Redis two-factor stores; harmless with the SQL ones (they cascade).
   */
  twoFactor?: Pick<TwoFactor, 'disableTotp'>;
}

/** A user with whether its address is verified. */
export interface VerifiedAccountUser extends AccountUser {
  emailVerified: boolean;
}

/**
 * Account recovery by mail: verified addresses, password reset, email change and account deletion, with
 * one-time links (256-bit random, stored hashed, single use, bound to their purpose and user; a new request
 * supersedes the older link of the same purpose).
 *
 * @example
 * ```ts
 * const recovery = new AccountRecovery({ accounts, users, tokens, attempts, sessions, mailer, origin });
 * await recovery.requestPasswordReset(request, { email }); // always the same answer
 * ```
 */
export class AccountRecovery<U> {
  readonly #options: AccountRecoveryOptions<U>;
  readonly #templates: MailTemplates;
  readonly #hasher: PasswordHasher;
  readonly #clock: Clock;
  readonly #limits: Required<RecoveryLimits>;
  readonly #origin: string;

  constructor(options: AccountRecoveryOptions<U>) {
    this.#options = options;
    this.#origin = new URL(options.origin).origin;
    this.#templates = { ...DEFAULT_MAIL_TEMPLATES, ...options.templates };
    this.#hasher = options.hasher ?? new PasswordHasher();
    this.#clock = options.clock ?? systemClock;
    this.#limits = {
      verifyRequest: options.limits?.verifyRequest ?? VERIFY_REQUEST_LIMIT,
      resetPerAddress: options.limits?.resetPerAddress ?? RESET_ADDRESS_LIMIT,
      resetPerIp: options.limits?.resetPerIp ?? RESET_IP_LIMIT,
    };
  }

  /** The account with its verification state, or `null`. */
  async findUser(id: string): Promise<VerifiedAccountUser | null> {
    const user = await storeCall('users.findById', () => this.#options.users.findById(id));
    return user === null
      ? null
      : { id: user.id, email: user.email, emailVerified: user.emailVerified === true };
  }

  /**
   * Sends the signed-in user a link that verifies the account's address (nothing when it is verified
   * already). At most `verifyRequest` an hour per user (`TooManyAttemptsError`).
   */
  async requestEmailVerification(request: RequestSession<U>): Promise<void> {
    const userId = signedInUser(request);
    await this.#spend(`ve:${keyOf(userId)}`, this.#limits.verifyRequest);
    const user = await storeCall('users.findById', () => this.#options.users.findById(userId));
    if (user === null) throw new UnauthenticatedError();
    if (user.emailVerified === true) return;
    const link = await this.#issue(user.id, 'verify_email', user.email, this.#verifySeconds());
    this.#options.mailer.deliver(
      'verify_email',
      user.email,
      this.#templates.verifyEmail({ origin: this.#origin, link, validFor: duration(this.#verifySeconds()) }),
    );
  }

  /**
   * Follows a verification link: marks the address verified, or (for an email-change link) moves the
   * account to its new address, verified, unless another account took it meanwhile (`EmailTakenError`).
   * Works signed in or not. Any bad token: `InvalidOneTimeTokenError` (400 `invalid_token`).
   */
  async verifyEmail(_request: RequestSession<U>, input: { token: unknown }): Promise<VerifiedAccountUser> {
    const hashed = hashOneTimeToken(readOneTimeToken(input.token));
    const record = await storeCall('tokens.consume', () =>
      this.#options.tokens.consume(hashed, ['verify_email', 'change_email']),
    );
    if (record === null || record.expiresAt <= this.#clock.now()) throw new InvalidOneTimeTokenError();
    const { users } = this.#options;
    const done =
      record.purpose === 'change_email'
        ? await storeCall('users.changeEmail', () => users.changeEmail(record.userId, record.email))
        : await storeCall('users.markEmailVerified', () =>
            users.markEmailVerified(record.userId, record.email),
          );
    if (!done) throw new InvalidOneTimeTokenError();
    return { id: record.userId, email: record.email, emailVerified: true };
  }

  /**
   * Sends a reset link when `email` has an account. The answer and its timing are the same either way: after
   * the limits (per address and per client address, counted for unknown addresses too), the lookup and the
   * mail happen in the background.
   */
  async requestPasswordReset(request: RequestSession<U>, input: { email: unknown }): Promise<void> {
    const email = normalizeEmail(input.email);
    await this.#spend(`ra:${keyOf(email)}`, this.#limits.resetPerAddress);
    const ip = request.info.ip;
    if (ip !== null) await this.#spend(`ri:${keyOf(ip)}`, this.#limits.resetPerIp);
    this.#options.mailer.detach('reset_password', async () => {
      const user = await this.#options.users.findByEmail(email);
      // A locked account gets no link (following it would be refused): the same answer all the same.
      if (user === null || isLocked(user)) return;
      await this.sendPasswordResetLink(user);
    });
  }

  /**
   * Mails `user` a reset link at once, with no request limits: for an operator's forced reset
   * (`forcePasswordReset`), never for an anonymous request (use `requestPasswordReset`). Supersedes the
   * user's older reset link. Resolves once the link is stored; the mail goes out in the background.
   */
  async sendPasswordResetLink(user: AccountUser): Promise<void> {
    const link = await this.#issue(user.id, 'reset_password', user.email, this.#resetSeconds());
    this.#options.mailer.deliver(
      'reset_password',
      user.email,
      this.#templates.resetPassword({ origin: this.#origin, link, validFor: duration(this.#resetSeconds()) }),
    );
  }

  /**
   * Follows a reset link: sets the new password (a weak one is refused with `WeakPasswordError` and the link
   * still works), ends every session of the user (and with them their refresh tokens, when the session
   * store revokes them), signs the request in with a new session, and mails the user a notice. Following
   * the link also proves the address, which is marked verified.
   */
  async resetPassword(
    request: RequestSession<U>,
    input: { token: unknown; newPassword: unknown },
  ): Promise<VerifiedAccountUser> {
    const hashed = hashOneTimeToken(readOneTimeToken(input.token));
    const password = normalizePassword(input.newPassword, 'newPassword');
    const { users, tokens, sessions } = this.#options;
    const found = await storeCall('tokens.find', () => tokens.find(hashed));
    if (found === null || found.purpose !== 'reset_password' || found.expiresAt <= this.#clock.now()) {
      throw new InvalidOneTimeTokenError();
    }
    const user = await storeCall('users.findById', () => users.findById(found.userId));
    if (user === null) throw new InvalidOneTimeTokenError();
    // Before the link is used: once unlocked, the same link still works (until it expires).
    assertNotLocked(user);
    checkNewPassword(password, { email: user.email });
    const passwordHash = await this.#hasher.hash(password);
    // Used here, atomically: of two requests with the same link, one gets it.
    if ((await storeCall('tokens.consume', () => tokens.consume(hashed, ['reset_password']))) === null) {
      throw new InvalidOneTimeTokenError();
    }
    await storeCall('users.setPasswordHash', () => users.setPasswordHash(user.id, passwordHash));
    const { ip, userAgent } = request.info;
    const ended = await sessions.revokeUserSessions(user.id, { by: 'user', ip, userAgent });
    const verified =
      user.emailVerified === true ||
      (await storeCall('users.markEmailVerified', () => users.markEmailVerified(user.id, found.email)));
    const account = { id: user.id, email: user.email };
    request.assertLoginOrigin();
    const session = await request.signIn(user.id, this.#options.sessionUser?.(account), {
      method: 'password_reset',
    });
    const { onEvent } = sessions.config;
    if (onEvent !== null) {
      emitEvent(onEvent, {
        type: 'password.changed',
        at: this.#clock.now(),
        userId: user.id,
        sessionId: session.id,
        via: 'reset',
        sessionsEnded: ended,
        ip,
        userAgent,
      });
    }
    this.#options.mailer.deliver(
      'password_changed',
      user.email,
      this.#templates.passwordChanged({ origin: this.#origin }),
    );
    return { ...account, emailVerified: verified };
  }

  /**
   * Starts a change of the signed-in user's address: confirms the user (current password, or a fresh
   * federated sign-in), refuses an address that has an account (`EmailTakenError`, checked again when the
   * link is followed), mails a link to the new address and a notice to the old one.
   */
  async requestEmailChange(
    request: RequestSession<U>,
    input: { newEmail: unknown; currentPassword?: unknown },
  ): Promise<void> {
    signedInUser(request);
    const newEmail = normalizeEmail(input.newEmail);
    const user = await this.#options.accounts.confirmPassword(request, input.currentPassword);
    const holder = await storeCall('users.findByEmail', () => this.#options.users.findByEmail(newEmail));
    if (holder !== null) throw new EmailTakenError();
    const link = await this.#issue(user.id, 'change_email', newEmail, this.#verifySeconds());
    const validFor = duration(this.#verifySeconds());
    const origin = this.#origin;
    const { mailer } = this.#options;
    mailer.deliver(
      'change_email',
      newEmail,
      this.#templates.confirmEmailChange({ origin, link, validFor, newEmail }),
    );
    mailer.deliver(
      'email_change_notice',
      user.email,
      this.#templates.emailChangeRequested({ origin, newEmail }),
    );
  }

  /**
   * Deletes the signed-in user's account after confirming the user (as for an email change): every session
   * (and its refresh tokens) ends, the one-time links go, the passkeys and the two-factor secret and codes
   * (with the `passkeys` and `twoFactor` options), then the user row, with what the database deletes with
   * it (identity links; a site's own rows with `ON DELETE CASCADE`). The cookie is cleared.
   */
  async deleteAccount(request: RequestSession<U>, input: { currentPassword?: unknown }): Promise<void> {
    signedInUser(request);
    const user = await this.#options.accounts.confirmPassword(request, input.currentPassword);
    await request.signOutEverywhere();
    await storeCall('tokens.deleteByUser', () => this.#options.tokens.deleteByUser(user.id));
    // Passkeys before the user: a failure between the two leaves an account to delete again, not orphans.
    await this.#options.passkeys?.removeAll(user.id);
    await this.#options.twoFactor?.disableTotp(user.id);
    await storeCall('users.deleteUser', () => this.#options.users.deleteUser(user.id));
  }

  /**
   * The mail for a registration with an address that already has an account (docs/decisions.md, "The
   * registration answer"), sent in the background.
   */
  notifyAlreadyRegistered(email: string): void {
    const resetLink = `${this.#origin}/forgot-password`;
    this.#options.mailer.deliver(
      'already_registered',
      email,
      this.#templates.alreadyRegistered({ origin: this.#origin, resetLink }),
    );
  }

  /** Drops one-time tokens that have expired. */
  sweepTokens(): Promise<number> {
    return storeCall('tokens.deleteExpired', () => this.#options.tokens.deleteExpired(this.#clock.now()));
  }

  async #issue(
    userId: string,
    purpose: OneTimeTokenPurpose,
    email: string,
    seconds: number,
  ): Promise<string> {
    const token = generateOneTimeToken();
    const now = this.#clock.now();
    const record: OneTimeTokenRecord = {
      hash: hashOneTimeToken(token),
      userId,
      purpose,
      email,
      createdAt: now,
      expiresAt: now + seconds * 1000,
    };
    await storeCall('tokens.issue', () => this.#options.tokens.issue(record));
    const page = purpose === 'reset_password' ? 'reset-password' : 'verify-email';
    return `${this.#origin}/${page}?token=${token}`;
  }

  async #spend(key: string, rule: RateLimit): Promise<void> {
    const now = this.#clock.now();
    const windowMs = rule.windowSeconds * 1000;
    const counted = await storeCall('attempts.recordFailure', () =>
      this.#options.attempts.recordFailure(key, now, windowMs),
    );
    if (counted.failures > rule.limit) {
      throw new TooManyAttemptsError((counted.windowStartedAt + windowMs - now) / 1000);
    }
  }

  #verifySeconds(): number {
    return this.#options.verifyLinkSeconds ?? 24 * 3600;
  }

  #resetSeconds(): number {
    return this.#options.resetLinkSeconds ?? 30 * 60;
  }
}

function signedInUser<U>(request: RequestSession<U>): string {
  const session = request.session;
  if (session === null) throw new UnauthenticatedError();
  return session.userId;
}

// Limit keys are hashed, like the sign-in throttle's: the attempt table holds no addresses in clear.
const keyOf = (value: string) => hash('sha256', value, 'base64url');

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}
