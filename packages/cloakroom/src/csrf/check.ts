import type { CsrfRejectionReason } from './errors.js';

/** The request headers the origin checks read. `null` for an absent header. */
export interface OriginCheckInput {
  method: string;
  origin: string | null;
  secFetchSite: string | null;
}

/**
 * `session`: the rule for unsafe requests that carry the session cookie. `login`: the rule for sign-in and
 * registration (login CSRF), the same except that a request with neither header is let through, since
 * there is no ambient credential for a non-browser client to abuse.
 */
export type OriginCheckMode = 'session' | 'login';

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** POST, PUT, PATCH and DELETE: the methods the origin checks apply to. */
export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}

/**
 * Decides whether a request's Fetch Metadata and Origin headers vouch for it: `null` when they do, else the
 * reason to refuse it.
 *
 * - `Sec-Fetch-Site: cross-site` or `same-site` is refused (a sibling subdomain is not the site).
 * - An `Origin` that is not exactly a trusted origin (scheme, host and port) is refused; `null` included.
 * - Neither header is refused in `session` mode: every current browser sends at least one of them on an
 *   unsafe request, so their absence means a client that should use a bearer token.
 *
 * `trustedOrigins` holds serialized origins (`https://example.com`, no trailing slash).
 */
export function checkRequestOrigin(
  input: OriginCheckInput,
  trustedOrigins: ReadonlySet<string>,
  mode: OriginCheckMode = 'session',
): CsrfRejectionReason | null {
  const site = input.secFetchSite?.trim().toLowerCase() ?? null;
  if (site === 'cross-site') return 'cross_site_fetch';
  if (site === 'same-site') return 'same_site_fetch';
  if (input.origin !== null) return trustedOrigins.has(input.origin.trim()) ? null : 'untrusted_origin';
  // Only the values a browser sends on a request it started itself vouch for it; anything else is no header.
  const vouched = site === 'same-origin' || site === 'none';
  if (!vouched && mode === 'session') return 'missing_origin';
  return null;
}
