import { parseCookie, stringifySetCookie } from 'cookie';
import { isLoopbackOrigin } from './origin.js';
import { MAX_TOKEN_LENGTH } from './token.js';

export interface SessionCookieOptions {
  /**
   * The cookie name without prefix. On https origins Cloakroom adds `__Host-`, which makes browsers insist
   * on Secure, Path=/ and no Domain. Default `cloakroom`.
   */
  name?: string;
  /** `lax` (default) or `strict`. `none` is not offered: it would send the session on cross-site requests. */
  sameSite?: 'lax' | 'strict';
  /**
   * `true` (default): the cookie lives until the session's absolute expiry, so sliding renewal never needs a
   * new Set-Cookie. `false`: a browser-session cookie, gone when the browser closes.
   */
  persistent?: boolean;
}

/** The cookie attributes in force; there is no HttpOnly switch because the cookie is always HttpOnly. */
export interface CookieSettings {
  readonly name: string;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict';
  readonly persistent: boolean;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Secure and `__Host-` unless the site's origin is plain http on a loopback host (local development). Plain
 * http on any other host is refused: the session would travel in clear text.
 */
export function resolveCookieSettings(origin: string, options: SessionCookieOptions = {}): CookieSettings {
  const baseName = options.name ?? 'cloakroom';
  // A `__Host-`/`__Secure-` prefix (matched case-insensitively, as browsers do) is Cloakroom's to add: a
  // given one would double on https and, lacking Secure, make browsers drop the cookie on loopback http.
  if (!NAME_PATTERN.test(baseName) || /^__(host|secure)-/i.test(baseName)) {
    throw new TypeError('cookie.name must be 1-64 characters of A-Z, a-z, 0-9, "_" or "-", without a prefix');
  }
  const sameSite: unknown = options.sameSite ?? 'lax';
  if (sameSite !== 'lax' && sameSite !== 'strict') {
    throw new TypeError('cookie.sameSite must be "lax" or "strict"');
  }
  const secure = origin.startsWith('https:');
  if (!secure && !isLoopbackOrigin(origin)) {
    throw new TypeError(
      'origin must be https; plain http is allowed only on loopback hosts (localhost, 127.0.0.1, [::1])',
    );
  }
  return {
    name: secure ? `__Host-${baseName}` : baseName,
    secure,
    sameSite,
    persistent: options.persistent ?? true,
  };
}

// Cookie values are taken verbatim: a token is plain base64url, so there is nothing to decode, and a
// percent-encoded value is simply not a token.
const verbatim = (value: string): string => value;

/**
 * The session cookie's value from a `Cookie` header, or `null`. Garbage, an oversize value and a header
 * carrying the cookie more than once (a sign of cookie tossing from a sibling subdomain) all mean "no
 * session"; this function never throws.
 */
export function readSessionCookie(header: string | null | undefined, name: string): string | null {
  if (typeof header !== 'string' || header.length === 0 || !header.includes(name)) return null;
  const value = parseCookie(header, { decode: verbatim })[name];
  // An empty value is a cleared cookie: nothing to check, nothing to clear again.
  if (value === undefined || value.length === 0 || value.length > MAX_TOKEN_LENGTH) return null;
  if (countCookie(header, name) !== 1) return null;
  return value;
}

// Counts `name=` at the start of a cookie pair (start of header or after `;`, ignoring spaces).
function countCookie(header: string, name: string): number {
  let count = 0;
  let from = 0;
  for (;;) {
    const at = header.indexOf(name, from);
    if (at === -1) return count;
    from = at + name.length;
    let before = at - 1;
    while (before >= 0 && (header[before] === ' ' || header[before] === '\t')) before--;
    if (before >= 0 && header[before] !== ';') continue;
    let after = from;
    while (header[after] === ' ' || header[after] === '\t') after++;
    if (header[after] === '=') count++;
  }
}

/** `Set-Cookie` for a session token; `maxAgeSeconds` is ignored for non-persistent cookies. */
export function serializeSessionCookie(
  settings: CookieSettings,
  token: string,
  maxAgeSeconds: number,
): string {
  return stringifySetCookie({
    name: settings.name,
    value: token,
    httpOnly: true,
    secure: settings.secure,
    sameSite: settings.sameSite,
    path: '/',
    ...(settings.persistent ? { maxAge: Math.max(0, Math.floor(maxAgeSeconds)) } : {}),
  });
}

/** `Set-Cookie` that removes the session cookie. */
export function serializeClearCookie(settings: CookieSettings): string {
  return stringifySetCookie({
    name: settings.name,
    value: '',
    httpOnly: true,
    secure: settings.secure,
    sameSite: settings.sameSite,
    path: '/',
    maxAge: 0,
  });
}
