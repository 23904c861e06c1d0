import { OAuthError } from './errors.js';
import { SCOPE_TOKEN } from './clients.js';

/**
 * The scope tokens of a request's `scope` (RFC 6749 §3.3: space-separated, case-sensitive), or `undefined`
 * when it was not given. Duplicates are dropped; an empty or malformed value is `invalid_scope`.
 */
export function parseScope(value: string | undefined | null): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const items = value.split(' ');
  if (items.length > 64 || !items.every((item) => SCOPE_TOKEN.test(item))) {
    throw new OAuthError('invalid_scope', 'The scope is malformed.');
  }
  return [...new Set(items)];
}

/**
 * The scope to grant: the requested scopes when every one is in `allowed`, else `invalid_scope`; without
 * a request, all of `allowed`. Never widens: the result is always within `allowed`.
 */
export function grantScope(requested: readonly string[] | undefined, allowed: readonly string[]): string[] {
  const granted = requested === undefined ? [...allowed] : [...requested];
  if (requested !== undefined && !requested.every((scope) => allowed.includes(scope))) {
    throw new OAuthError('invalid_scope', 'The requested scope exceeds what may be granted.');
  }
  if (granted.length === 0) throw new OAuthError('invalid_scope', 'No scope can be granted.');
  return granted;
}

/** The scope tokens of a `scope` claim (space-separated string). */
export const scopeList = (claim: unknown): string[] =>
  typeof claim === 'string' ? claim.split(' ').filter((item) => item !== '') : [];
