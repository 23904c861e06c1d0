import type { SessionConfig } from './config.js';
import { toSession, type Session } from './session.js';
import type { StoredSession } from '../stores/index.js';
import { storeCall, storeFailure } from '../lib/store-call.js';
import { isPromiseLike } from '../lib/promise.js';
import { parseToken, secretMatches, type TokenParts } from './token.js';

/** Why a token did not give a session; for logs and metrics, never for the client (it only sees "no session"). */
export type InvalidSessionReason =
  | 'missing'
  | 'malformed'
  | 'bad_signature'
  | 'not_found'
  | 'secret_mismatch'
  | 'idle_expired'
  | 'expired'
  | 'user_not_found';

export type ValidationResult<U> =
  { valid: true; session: Session; user: U } | { valid: false; reason: InvalidSessionReason };

/**
 * Checks a token and returns the session with its user (one store read), renewing the idle expiry when the
 * touch interval has passed. Everything that can be refused without the store (shape, signature) is
 * refused first. A store failure rejects with `StoreUnavailableError`; it never reads as "no session".
 *
 * Not an async function: with an in-process store that answers at once (`SessionStore.immediate`) and no
 * renewal due, the whole validation runs synchronously and settles the one promise it returns.
 */
export function validateSession<U>(
  config: SessionConfig<U>,
  token: string | null | undefined,
): Promise<ValidationResult<U>> {
  try {
    // Promise.resolve hands a promise back as it is, so the asynchronous paths cost no extra step.
    return Promise.resolve(validateNow(config, token));
  } catch (error) {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
}

/** The validation, as a result when nothing had to be awaited and as a promise otherwise. */
function validateNow<U>(
  config: SessionConfig<U>,
  token: string | null | undefined,
): ValidationResult<U> | Promise<ValidationResult<U>> {
  const parts = checkToken(config, token);
  if (typeof parts === 'string') return invalid(parts);
  const immediate = config.store.immediate;
  if (immediate === undefined) return readAndCheck(config, parts);
  let found: StoredSession<U> | null | Promise<StoredSession<U> | null>;
  try {
    found = immediate.getNow(parts.id);
  } catch (error) {
    throw storeFailure('get', error);
  }
  return isPromiseLike(found) ? awaitAndCheck(config, parts, found) : checkSession(config, parts, found);
}

/**
 * The token's parts, or why it is refused before any store read (shape, then signature). Exported for
 * `SessionManager.isWellSigned`, the store-free hint; validation is `validateSession`.
 */
export function checkToken<U>(
  config: SessionConfig<U>,
  token: string | null | undefined,
): TokenParts | InvalidSessionReason {
  if (typeof token !== 'string' || token.length === 0) return 'missing';
  const parts = parseToken(token);
  if (parts === null) return 'malformed';
  if (config.keyring === null) {
    if (parts.mac !== null) return 'malformed';
  } else if (parts.mac === null || !config.keyring.verify(parts.payload, parts.mac)) {
    return 'bad_signature';
  }
  return parts;
}

async function readAndCheck<U>(config: SessionConfig<U>, parts: TokenParts): Promise<ValidationResult<U>> {
  // The read every request makes: caught inline rather than through storeCall, which costs an extra async
  // frame per validation.
  let found: StoredSession<U> | null;
  try {
    found = await config.store.get(parts.id);
  } catch (error) {
    throw storeFailure('get', error);
  }
  return checkSession(config, parts, found);
}

async function awaitAndCheck<U>(
  config: SessionConfig<U>,
  parts: TokenParts,
  pending: PromiseLike<StoredSession<U> | null>,
): Promise<ValidationResult<U>> {
  let found: StoredSession<U> | null;
  try {
    found = await pending;
  } catch (error) {
    throw storeFailure('get', error);
  }
  return checkSession(config, parts, found);
}

/** The checks on what the store returned; a promise only when a renewal has to be written. */
function checkSession<U>(
  config: SessionConfig<U>,
  parts: TokenParts,
  found: StoredSession<U> | null,
): ValidationResult<U> | Promise<ValidationResult<U>> {
  if (found === null) return invalid('not_found');
  const record = found.session;
  if (!secretMatches(parts.secret, record.secretHash)) return invalid('secret_mismatch');

  const now = config.clock.now();
  if (now >= record.absoluteExpiresAt) return invalid('expired');
  if (now >= record.expiresAt) return invalid('idle_expired');
  if (found.user === null) return invalid('user_not_found');
  if (now - record.lastSeenAt >= config.touchIntervalMs) return renew(config, found.session, found.user, now);
  return { valid: true, session: toSession(record), user: found.user };
}

/** Sliding renewal, at most once per touch interval: compare-and-set, so it never revives a revoked session. */
async function renew<U>(
  config: SessionConfig<U>,
  record: StoredSession<U>['session'],
  user: U,
  now: number,
): Promise<ValidationResult<U>> {
  const touch = {
    lastSeenAt: now,
    expiresAt: Math.min(now + config.idleTimeoutMs, record.absoluteExpiresAt),
    version: record.version,
  };
  const touched = await storeCall('touch', () => config.store.touch(record.id, touch));
  if (touched) {
    return { valid: true, session: toSession({ ...record, ...touch, version: record.version + 1 }), user };
  }
  if ((await storeCall('get', () => config.store.get(record.id))) === null) {
    // The touch lost a race with a revocation: the session is gone, and this request must not use it.
    return invalid('not_found');
  }
  // Otherwise another request renewed it first, which is just as good.
  return { valid: true, session: toSession(record), user };
}

function invalid(reason: InvalidSessionReason): { valid: false; reason: InvalidSessionReason } {
  return { valid: false, reason };
}
