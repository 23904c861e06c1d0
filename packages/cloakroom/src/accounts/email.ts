import { InvalidRequestError } from '../errors.js';

const MAX_EMAIL_LENGTH = 254; // RFC 5321's limit on a forward path

/**
 * The canonical form an email is stored and looked up in: NFC, trimmed, lower-cased. Lower-casing the local
 * part is technically lossy, but no mail provider in practice tells `Ada@` from `ada@`, and two accounts that
 * differ only in case would be a trap for users.
 */
export function normalizeEmail(value: unknown): string {
  if (typeof value !== 'string') throw new InvalidRequestError('email must be a string', 'email');
  const email = value.normalize('NFC').trim().toLowerCase();
  if (email.length === 0 || email.length > MAX_EMAIL_LENGTH) {
    throw new InvalidRequestError(`email must be 1-${MAX_EMAIL_LENGTH} characters`, 'email');
  }
  // Deliberately loose: one @, something on each side, a dot in the domain, no spaces or controls.
  if (!/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u.test(email)) {
    throw new InvalidRequestError('email is not a valid address', 'email');
  }
  return email;
}
