import { generateSecret, generateURI, verifySync } from 'otplib';

/** RFC 6238 as every authenticator app reads it: HMAC-SHA-1, 6 digits, 30-second steps. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;

/** A new TOTP secret: 20 random bytes (160 bits, RFC 4226's recommendation), base32 (32 characters). */
export function generateTotpSecret(): string {
  return generateSecret({ length: 20 });
}

/** The `otpauth://totp/…` URL an authenticator app scans (from the QR code) or reads. */
export function totpUrl(options: { issuer: string; account: string; secret: string }): string {
  return generateURI({ issuer: options.issuer, label: options.account, secret: options.secret });
}

const CODE_SHAPE = /^[0-9]{6}$/;

/** A code as typed: spaces and dashes dropped; anything but six digits is `null`. */
export function readTotpCode(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > 32) return null;
  const code = value.replace(/[\s-]/g, '');
  return CODE_SHAPE.test(code) ? code : null;
}

/**
 * The time step (RFC 6238 `T`) `code` is valid for at `nowMs`, the current step or one either side
 * (±30 s of clock drift), or `null`. A code for a step at or before `afterStep` is `null` too (a replay).
 * Constant-time comparison (otplib).
 */
export function matchTotpCode(
  secret: string,
  code: string,
  nowMs: number,
  afterStep: number | null = null,
): number | null {
  const result = verifySync({
    secret,
    token: code,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOTP_PERIOD_SECONDS,
    period: TOTP_PERIOD_SECONDS,
    digits: TOTP_DIGITS,
    algorithm: 'sha1',
    ...(afterStep === null ? {} : { afterTimeStep: afterStep }),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}
