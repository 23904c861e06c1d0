import { hash, randomBytes } from 'node:crypto';
import { InvalidOneTimeTokenError } from './errors.js';

/** 32 bytes from the CSPRNG (256 bits), base64url: 43 characters. */
export function generateOneTimeToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a one-time token: its SHA-256, base64url. A plain hash is enough for 256 random bits
 * (nothing to guess), and lets the store look the token up by it; a leaked table grants no link.
 */
export function hashOneTimeToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * Reads a token from untrusted input: anything but the shape `generateOneTimeToken` makes is refused
 * (400 `invalid_token`) before any store read.
 */
export function readOneTimeToken(value: unknown): string {
  if (typeof value !== 'string' || !TOKEN_SHAPE.test(value)) throw new InvalidOneTimeTokenError();
  return value;
}
