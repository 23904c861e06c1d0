import type { RequestSession } from './request-session.js';
import type { Session } from './session.js';

/** The default age limit of `requireRecentAuth`: 10 minutes. */
export const DEFAULT_RECENT_AUTH_SECONDS = 600;

/**
 * Whether `session`'s user proved who they are within the last `maxAgeSeconds` at `now` (ms since the
 * epoch): the check in front of sensitive actions (changing the password or email, deleting the account).
 * A session with no user is never recent. Throws `TypeError` for a `maxAgeSeconds` that is not a positive
 * number.
 *
 * @example
 * ```ts
 * if (!isRecentAuth(request.session, 600, Date.now())) throw new ReauthenticationRequiredError(600);
 * ```
 */
export function isRecentAuth(
  session: Pick<Session, 'authTime'> | null,
  maxAgeSeconds: number,
  now: number,
): boolean {
  checkMaxAge(maxAgeSeconds);
  if (session === null) return false;
  return now - session.authTime <= maxAgeSeconds * 1000;
}

/** Throws `TypeError` unless `maxAgeSeconds` is a positive, finite number. */
export function checkMaxAge(maxAgeSeconds: number): void {
  if (typeof maxAgeSeconds !== 'number' || !Number.isFinite(maxAgeSeconds) || maxAgeSeconds <= 0) {
    throw new TypeError('maxAgeSeconds must be a positive number of seconds');
  }
}

/** RFC 8176 methods by factor kind: something you know, have, or are. Others (`fed`, `mfa`, ...) count none. */
const FACTOR_KIND: ReadonlyMap<string, 'knowledge' | 'possession' | 'inherence'> = new Map([
  ['pwd', 'knowledge'],
  ['pin', 'knowledge'],
  ['kba', 'knowledge'],
  ['otp', 'possession'],
  ['hwk', 'possession'],
  ['swk', 'possession'],
  ['sms', 'possession'],
  ['tel', 'possession'],
  ['sc', 'possession'],
  ['fpt', 'inherence'],
  ['face', 'inherence'],
  ['iris', 'inherence'],
  ['retina', 'inherence'],
  ['vbm', 'inherence'],
] as const);

/**
 * The methods of a session that re-authenticated: the ones it had, then the new ones, then `mfa` when two
 * different factor kinds (knowledge, possession, inherence) are among them and `mfa` is not there yet.
 *
 * @example
 * ```ts
 * mergeAmr(['pwd'], ['otp']); // ['pwd', 'otp', 'mfa']
 * ```
 */
export function mergeAmr(current: readonly string[], added: readonly string[]): string[] {
  const merged: string[] = [];
  for (const value of [...current, ...added]) if (!merged.includes(value)) merged.push(value);
  const kinds = new Set(merged.map((value) => FACTOR_KIND.get(value)).filter((kind) => kind !== undefined));
  if (kinds.size >= 2 && !merged.includes('mfa')) merged.push('mfa');
  return merged;
}

/**
 * The guard every adapter's `requireRecentAuth` wraps: checks `maxAgeSeconds` once (a `TypeError` at
 * set-up, not per request), then for each request returns its session, or throws `UnauthenticatedError`
 * (no session) or `ReauthenticationRequiredError` (401 `reauthentication_required`: the last sign-in or
 * re-authentication is older than `maxAgeSeconds`).
 *
 * @example
 * ```ts
 * const recent = recentAuthGuard(600);
 * recent(request); // before deleting the account
 * ```
 */
export function recentAuthGuard(
  maxAgeSeconds: number = DEFAULT_RECENT_AUTH_SECONDS,
): <U>(request: RequestSession<U>) => Session {
  checkMaxAge(maxAgeSeconds);
  return (request) => request.requireRecentAuth(maxAgeSeconds);
}
