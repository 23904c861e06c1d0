/** iron-session's settings for the bench: its README's shape, a fresh 32-byte password per process. */
import { randomBytes } from 'node:crypto';

export const IRON_COOKIE = 'iron_session';

const password = randomBytes(32).toString('base64url');

/** The sealing password (iron-session requires at least 32 characters). */
export function ironPassword(): string {
  return password;
}
