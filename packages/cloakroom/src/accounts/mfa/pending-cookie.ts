import { parseCookie, stringifySetCookie } from 'cookie';

/**
 * The cookie that carries a pending sign-in's token between the password and the second step. It grants
 * nothing else: the session layer never reads it, so `GET /me` with it alone is signed out. HttpOnly,
 * SameSite=Strict, Path=/, and on https `__Host-` with Secure, like the session cookie.
 */
export interface PendingSignInCookie {
  /** The cookie's name (`__Host-cloakroom-mfa` on https, `cloakroom-mfa` on loopback http). */
  readonly name: string;
  /** `Set-Cookie` for a token, living `maxAgeSeconds`. */
  serialize(token: string, maxAgeSeconds: number): string;
  /** `Set-Cookie` that removes it. */
  clear(): string;
  /** The token from a `Cookie` header, or `null` (absent, empty, repeated or oversize: never throws). */
  read(header: string | null | undefined): string | null;
}

/**
 * The pending sign-in cookie for a site's origin.
 *
 * @example
 * ```ts
 * const cookie = pendingSignInCookie('https://example.com');
 * response.headers.append('Set-Cookie', cookie.serialize(token, 300));
 * ```
 */
export function pendingSignInCookie(origin: string, baseName = 'cloakroom-mfa'): PendingSignInCookie {
  const secure = new URL(origin).protocol === 'https:';
  const name = secure ? `__Host-${baseName}` : baseName;
  const attributes = { httpOnly: true, secure, sameSite: 'strict', path: '/' } as const;
  return {
    name,
    serialize: (token, maxAgeSeconds) =>
      stringifySetCookie({
        name,
        value: token,
        ...attributes,
        maxAge: Math.max(0, Math.floor(maxAgeSeconds)),
      }),
    clear: () => stringifySetCookie({ name, value: '', ...attributes, maxAge: 0 }),
    read: (header) => {
      if (typeof header !== 'string' || !header.includes(name)) return null;
      const pairs = header.split(';').filter((pair) => pair.trim().startsWith(`${name}=`));
      if (pairs.length !== 1) return null;
      const value = parseCookie(header, { decode: (v) => v })[name];
      return value === undefined || value.length === 0 || value.length > 256 ? null : value;
    },
  };
}
