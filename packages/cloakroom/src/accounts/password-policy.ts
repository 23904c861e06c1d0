import { dictionary } from '@zxcvbn-ts/language-common';
import { InvalidRequestError } from '../errors.js';
import { WeakPasswordError } from './errors.js';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

// ~49,000 of the most common passwords (zxcvbn-ts's list), compared case-insensitively.
let common: ReadonlySet<string> | null = null;
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(dictionary['passwords-common'].map((word) => word.toLowerCase()));
  return common;
}

/** Unicode NFC, so the same password typed on two keyboards hashes the same (NIST SP 800-63B 5.1.1.2). */
export function normalizePassword(value: unknown, field = 'password'): string {
  if (typeof value !== 'string') throw new InvalidRequestError(`${field} must be a string`, field);
  return value.normalize('NFC');
}

/** Length in code points, so an emoji counts as one character, as a user would count it. */
export function passwordLength(password: string): number {
  return Array.from(password).length;
}

/**
 * NIST SP 800-63B rules for a new password: 8 to 128 characters, not a common password, not the account's
 * email. No composition rules. Call it on the normalized password, before any hashing.
 */
export function checkNewPassword(password: string, context: { email?: string } = {}): void {
  // Checked on the UTF-16 length first, so a huge input is refused without walking it.
  if (password.length > MAX_PASSWORD_LENGTH * 2 || passwordLength(password) > MAX_PASSWORD_LENGTH) {
    throw new WeakPasswordError('too_long', `Use at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (passwordLength(password) < MIN_PASSWORD_LENGTH) {
    throw new WeakPasswordError('too_short', `Use at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  const lower = password.toLowerCase();
  if (commonPasswords().has(lower)) {
    throw new WeakPasswordError('common', 'This password is too common. Pick something less guessable.');
  }
  const email = context.email?.toLowerCase();
  if (email !== undefined && (lower === email || lower === email.split('@')[0])) {
    throw new WeakPasswordError('contains_email', 'Do not use your email address as your password.');
  }
}
