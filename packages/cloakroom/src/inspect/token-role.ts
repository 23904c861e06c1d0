import type { JsonObject } from './types.js';

/** What a JWT seems to be for, guessed from its `typ` and claims (nothing here is trusted). */
export type TokenRole = 'access' | 'id' | 'unknown';

/**
 * `at+jwt` or an OAuth claim (`scope`, `scp`, `client_id`) makes an access token; OpenID Connect claims
 * (`nonce`, `at_hash`, `c_hash`, `auth_time`) without those make an ID token. Anything else is unknown and
 * audited like an access token: it is carried on requests, which is what `inspect` is about.
 */
export function tokenRole(header: JsonObject, claims: JsonObject): TokenRole {
  if (isAccessTyp(header.typ)) return 'access';
  if ('scope' in claims || 'scp' in claims || 'client_id' in claims) return 'access';
  if (['nonce', 'at_hash', 'c_hash', 'auth_time'].some((name) => name in claims)) return 'id';
  return 'unknown';
}

/** Whether `typ` is RFC 9068's `at+jwt` (with or without the `application/` prefix, any case). */
export function isAccessTyp(typ: unknown): boolean {
  return typeof typ === 'string' && /^(application\/)?at\+jwt$/i.test(typ);
}
