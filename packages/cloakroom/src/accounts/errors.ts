import { CloakroomError } from '../errors.js';

/** Which password rule a new password breaks. */
export type WeakPasswordReason = 'too_short' | 'too_long' | 'common' | 'contains_email';

/**
 * A new password breaks the password rules: 400 `weak_password`. The message says which rule, in words for
 * people, and never repeats the password.
 */
export class WeakPasswordError extends CloakroomError {
  readonly reason: WeakPasswordReason;

  constructor(reason: WeakPasswordReason, message: string) {
    super('weak_password', message);
    this.reason = reason;
  }
}

/** Registration with an email that already has an account: 409 `email_taken`. */
export class EmailTakenError extends CloakroomError {
  constructor() {
    super('email_taken', 'An account with this email already exists.');
  }
}

/** Unknown email or wrong password, deliberately indistinguishable: 401 `invalid_credentials`. */
export class InvalidCredentialsError extends CloakroomError {
  constructor() {
    super('invalid_credentials', 'The email or password is not right.');
  }
}

/**
 * Too many failed sign-ins for this account or address: 429 `too_many_attempts`, with `Retry-After`.
 *
 * @example
 * ```ts
 * if (error instanceof TooManyAttemptsError) show(`Try again in ${error.retryAfterSeconds} s.`);
 * ```
 */
export class TooManyAttemptsError extends CloakroomError {
  override readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super('too_many_attempts', 'Too many failed attempts. Try again later.');
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** Sign-in refused because the account's address is not verified yet (`requireVerifiedEmail`): 403. */
export class EmailUnverifiedError extends CloakroomError {
  constructor() {
    super('email_unverified', 'Verify your email address before signing in.');
  }
}

/**
 * A one-time link's token (email verification, password reset) is unknown, expired, used, superseded or for
 * another purpose: 400 `invalid_token`. One answer for all of them, so a token's fate is not revealed.
 */
export class InvalidOneTimeTokenError extends CloakroomError {
  override readonly httpStatus = 400;

  constructor() {
    super('invalid_token', 'The link is invalid or has expired. Ask for a new one.');
  }
}

/**
 * Sign-in refused because an operator locked the account (`cloakroom admin lock`): 403 `account_locked`.
 * Password sign-in tells it only after a correct password (a wrong one is `invalid_credentials`, as for any
 * account), so it reveals nothing to someone guessing.
 */
export class AccountLockedError extends CloakroomError {
  constructor() {
    super('account_locked', 'This account is locked. Contact the site’s administrators.');
  }
}

/**
 * A second-factor code (TOTP or recovery code) is wrong, malformed, already used, or its pending sign-in is
 * unknown or expired: `invalid_code`, 401 when it proves who is signing in, 400 when it confirms a setup
 * (`status: 400`). One answer for every reason, so a code's fate is not revealed.
 */
export class InvalidCodeError extends CloakroomError {
  override readonly httpStatus: number;

  constructor(options: { status?: 400 | 401 } = {}) {
    super('invalid_code', 'The code is not right, or has been used. Try the next one.');
    this.httpStatus = options.status ?? 401;
  }
}

/** Two-factor sign-in is not on for this account (new recovery codes asked for before TOTP is on): 400. */
export class TwoFactorNotEnabledError extends CloakroomError {
  constructor() {
    super('invalid_request', 'Two-factor sign-in is not on for this account.');
  }
}

/**
 * A passkey ceremony failed: the response is malformed, its challenge unknown, expired or used, its
 * signature, origin or RP ID wrong, user verification missing, the credential unknown or another account's,
 * or its signature counter went backwards. 400 `invalid_passkey`, one answer for all (the reason is `cause`,
 * for the server log).
 */
export class InvalidPasskeyError extends CloakroomError {
  constructor(options?: { cause?: unknown }) {
    super('invalid_passkey', 'The passkey could not be verified. Try again.', options);
  }
}
