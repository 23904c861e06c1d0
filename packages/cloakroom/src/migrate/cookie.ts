import { parseCookie, stringifySetCookie } from 'cookie';
import type { LegacyCookie } from './types.js';

/** The longest legacy cookie value read; browsers cap a cookie at about 4 KB. */
const MAX_COOKIE_VALUE = 8192;
const NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,128}$/;

/** A legacy cookie setting, checked: a name alone stands for path `/` and no domain. */
export function legacyCookie(value: string | LegacyCookie, field: string): LegacyCookie & { path: string } {
  const given: unknown = typeof value === 'string' ? { name: value } : value;
  if (typeof given !== 'object' || given === null) {
    throw new TypeError(`${field} must be a cookie name or { name, path?, domain? }`);
  }
  const { name, path = '/', domain } = given as Record<string, unknown>;
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new TypeError(`${field} must be a cookie name or { name, path?, domain? }`);
  }
  if (typeof path !== 'string' || !path.startsWith('/') || /[;\s]/.test(path)) {
    throw new TypeError(`${field}.path must be a path starting with /`);
  }
  if (domain === undefined) return { name, path };
  if (typeof domain !== 'string' || !/^[A-Za-z0-9.-]{1,253}$/.test(domain)) {
    throw new TypeError(`${field}.domain must be a host name`);
  }
  return { name, path, domain };
}

/**
 * The value of cookie `name` in a `Cookie` header, percent-decoded, or `null`: absent, empty, oversize,
 * undecodable, or sent more than once (which one would be the legacy system's is unknowable). Never throws.
 */
export function readLegacyCookie(header: string | null | undefined, name: string): string | null {
  if (typeof header !== 'string' || header.length === 0 || !header.includes(name)) return null;
  let seen = 0;
  let raw: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    seen++;
    raw = pair.slice(eq + 1).trim();
  }
  if (seen !== 1 || raw === undefined) return null;
  // parseCookie strips quotes the way the legacy libraries' own parser (`cookie`) does.
  const parsed = parseCookie(`${name}=${raw}`, { decode: (text) => text })[name];
  if (parsed === undefined || parsed.length === 0 || parsed.length > MAX_COOKIE_VALUE) return null;
  try {
    return decodeURIComponent(parsed);
  } catch {
    return null;
  }
}

/** The `Set-Cookie` that expires a legacy cookie: same name, path and domain, empty value, in the past. */
export function clearLegacyCookie(cookie: LegacyCookie): string {
  return stringifySetCookie({
    name: cookie.name,
    value: '',
    path: cookie.path ?? '/',
    ...(cookie.domain === undefined ? {} : { domain: cookie.domain }),
    // A prefixed name is only accepted by browsers with Secure; and Secure never hurts a removal on https.
    ...(/^__(host|secure)-/i.test(cookie.name) ? { secure: true } : {}),
    httpOnly: true,
    maxAge: 0,
    expires: new Date(0),
  });
}

/** The `Bearer` token of an `Authorization` header, or `null`. Never throws. */
export function readBearer(header: string | null | undefined): string | null {
  if (typeof header !== 'string' || header.length > MAX_COOKIE_VALUE) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match?.[1] ?? null;
}
