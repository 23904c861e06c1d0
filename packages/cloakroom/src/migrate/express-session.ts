import { StoreUnavailableError } from '../stores/index.js';
import type { RequestInfo } from '../session/index.js';
import { clearLegacyCookie, legacyCookie, readLegacyCookie } from './cookie.js';
import { dotPath, replayKey, valueAt } from './hash.js';
import type { FoundCredential, LegacyCookie, LegacySource, VerifyResult } from './types.js';

let cookieSignature: Promise<typeof import('cookie-signature')> | null = null;

/**
 * `cookie-signature` is an optional peer (only this source needs it), so it is loaded on first use and
 * `cloakroom/migrate` imports without it installed.
 */
function loadCookieSignature(): Promise<typeof import('cookie-signature')> {
  cookieSignature ??= import('cookie-signature').catch((error: unknown) => {
    cookieSignature = null;
    throw new Error(
      "cloakroom/migrate: the express-session source needs the optional peer 'cookie-signature' (npm install cookie-signature)",
      { cause: error },
    );
  });
  return cookieSignature;
}

/**
 * The two methods of an express-session store the migration uses (every store implements them:
 * connect-redis, connect-pg-simple, MemoryStore, …), with express-session's callback convention.
 */
export interface ExpressSessionStoreLike {
  get(sid: string, callback: (error: unknown, session?: unknown) => void): void;
  destroy(sid: string, callback?: (error?: unknown) => void): void;
}

/** Options of {@link expressSessionSource}. */
export interface ExpressSessionSourceOptions {
  /** The session cookie. Default `connect.sid`. */
  cookie?: string | LegacyCookie;
  /** express-session's `secret` list: each verifies (the first signed the newest cookies). */
  secrets: readonly string[];
  /** The legacy store the sessions live in (connect-redis, …): read, then destroyed after the exchange. */
  store: ExpressSessionStoreLike;
  /** The dot path to the user in the session data, e.g. `user.email` or `userId`. */
  userField: string;
  /** Default `express-session`. */
  name?: string;
}

const MAX_SID_LENGTH = 256;

/**
 * Legacy express-session sessions: the `s:`-prefixed cookie is verified with `cookie-signature` against each
 * secret, the session is read from the legacy store, and destroyed there after the exchange.
 *
 * @example
 * ```ts
 * const source = expressSessionSource({ secrets: [process.env.SESSION_SECRET!],
 *   store: new RedisStore({ client, prefix: 'sess:' }), userField: 'user.email' });
 * ```
 */
export function expressSessionSource(options: ExpressSessionSourceOptions): LegacySource {
  const cookie = legacyCookie(options.cookie ?? 'connect.sid', 'cookie');
  const secrets: unknown = options.secrets;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((s) => typeof s === 'string' && s.length > 0)
  ) {
    throw new TypeError('secrets must list the express-session secrets (non-empty strings)');
  }
  const store = options.store as Partial<ExpressSessionStoreLike> | null;
  if (
    typeof store !== 'object' ||
    store === null ||
    typeof store.get !== 'function' ||
    typeof store.destroy !== 'function'
  ) {
    throw new TypeError('store must be an express-session store (get and destroy)');
  }
  const userField = dotPath(options.userField, 'userField');
  const name = options.name ?? 'express-session';
  const list = secrets as string[];
  const legacy = options.store;

  return {
    name,
    find(info: RequestInfo): FoundCredential | null {
      const value = readLegacyCookie(info.cookie, cookie.name);
      return value === null ? null : { value, via: 'cookie' };
    },
    async verify(value: string, now: number): Promise<VerifyResult> {
      if (!value.startsWith('s:') || value.length > MAX_SID_LENGTH + 64)
        return { ok: false, reason: 'malformed' };
      const { unsign } = await loadCookieSignature();
      let sid: string | false = false;
      for (const secret of list) {
        sid = unsign(value.slice(2), secret);
        if (sid !== false) break;
      }
      if (sid === false || sid.length === 0) return { ok: false, reason: 'bad_signature' };
      const data = await readSession(legacy, sid);
      if (data === null) return { ok: false, reason: 'not_found' };
      const expiresAt = cookieExpiry(data);
      if (expiresAt !== null && expiresAt <= now) return { ok: false, reason: 'expired' };
      const subject = valueAt(data, userField);
      if (typeof subject !== 'string' || subject.length === 0 || subject.length > 320) {
        return { ok: false, reason: 'claims' };
      }
      const id = sid;
      return {
        ok: true,
        credential: {
          subject,
          expiresAt,
          replayKey: replayKey(name, id),
          data,
          retire: () => destroySession(legacy, id),
        },
      };
    },
    clearCookie() {
      return clearLegacyCookie(cookie);
    },
  };
}

function readSession(store: ExpressSessionStoreLike, sid: string): Promise<Record<string, unknown> | null> {
  return new Promise((resolve, reject) => {
    try {
      store.get(sid, (error, session) => {
        if (error !== null && error !== undefined) {
          reject(new StoreUnavailableError('legacy session get', error, 'the legacy session store failed'));
        } else {
          resolve(
            typeof session === 'object' && session !== null ? (session as Record<string, unknown>) : null,
          );
        }
      });
    } catch (error) {
      reject(new StoreUnavailableError('legacy session get', error, 'the legacy session store failed'));
    }
  });
}

function destroySession(store: ExpressSessionStoreLike, sid: string): Promise<void> {
  return new Promise((resolve, reject) => {
    store.destroy(sid, (error) => {
      if (error !== null && error !== undefined)
        reject(error instanceof Error ? error : new Error('destroy failed'));
      else resolve();
    });
  });
}

/** express-session keeps the cookie's expiry in the session (`cookie.expires`, an ISO string once stored). */
function cookieExpiry(data: Record<string, unknown>): number | null {
  const expires = valueAt(data, ['cookie', 'expires']);
  if (typeof expires !== 'string' && !(expires instanceof Date)) return null;
  const time = new Date(expires).getTime();
  return Number.isFinite(time) ? time : null;
}
