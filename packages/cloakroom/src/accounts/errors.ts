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
