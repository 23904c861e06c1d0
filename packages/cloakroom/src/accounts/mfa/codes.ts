import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

/** How many recovery codes a user gets at a time. */
export const RECOVERY_CODE_COUNT = 10;

/**
 * A recovery code: 80 random bits as 20 lowercase hex digits, shown in groups of five
 * (`3f9a1-0c2e7-b4d58-e61a0`). High entropy, so a plain SHA-256 is the right stored form (nothing to guess,
 * and no slow hash needed), as for one-time tokens.
 */
export function generateRecoveryCode(): string {
  const hex = randomBytes(10).toString('hex');
  return [0, 5, 10, 15].map((at) => hex.slice(at, at + 5)).join('-');
}

const RECOVERY_SHAPE = /^[0-9a-f]{20}$/;

/** A recovery code as typed (any case, spaces and dashes anywhere) in its canonical form, or `null`. */
export function readRecoveryCode(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 64) return null;
  const code = value.replace(/[\s-]/g, '').toLowerCase();
  return RECOVERY_SHAPE.test(code) ? code : null;
}

/** The stored form of a recovery code (canonical or as shown): SHA-256, base64url. */
export function hashRecoveryCode(code: string): string {
  return hash('sha256', code.replace(/-/g, ''), 'base64url');
}

/** The stored hash among `hashes` equal to `candidate`, compared in constant time, or `null`. */
export function findHash(hashes: readonly string[], candidate: string): string | null {
  const wanted = Buffer.from(candidate);
  let found: string | null = null;
  for (const stored of hashes) {
    const bytes = Buffer.from(stored);
    // Every stored hash is compared, found or not, so the time says nothing about which one matched.
    if (bytes.length === wanted.length && timingSafeEqual(bytes, wanted)) found = stored;
  }
  return found;
}

/** A pending sign-in's token: 32 bytes from the CSPRNG, base64url (43 characters). */
export function generatePendingToken(): string {
  return randomBytes(32).toString('base64url');
}

const PENDING_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** The stored form of a pending sign-in's token (SHA-256, base64url), or `null` for anything malformed. */
export function hashPendingToken(value: unknown): string | null {
  if (typeof value !== 'string' || !PENDING_SHAPE.test(value)) return null;
  return hash('sha256', value, 'base64url');
}
