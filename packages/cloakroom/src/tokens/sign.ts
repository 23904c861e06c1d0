import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { DEFAULT_ACCESS_TOKEN_SECONDS, MAX_ACCESS_TOKEN_SECONDS } from './limits.js';

/** The RFC 9068 media type of a JWT access token, as its `typ` header carries it. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** An RFC 8693 actor: who is acting on the subject's behalf; nested `act` records earlier actors. */
export interface Actor {
  sub: string;
  act?: Actor;
}

/** Anything that can hand out the current signing key: a `SigningKeyring`, or a fixed key. */
export interface SigningKeySource {
  /** `alg` may also be `HS256` with a secret `key`, for services that share a secret (and for benchmarks). */
  signingKey(): { kid: string; alg: string; key: CryptoKey | Uint8Array };
  /** Tokens longer-lived than this are refused (the keyring keeps retired keys this long). */
  readonly maxTokenLifetimeSeconds?: number;
}

export interface AccessTokenOptions {
  keyring: SigningKeySource;
  /** `iss`: the issuer's URL, exactly as verifiers are configured with it. */
  issuer: string;
  /** `sub`: the user (or, for client credentials, the client). */
  subject: string;
  /** `aud`: the resource server(s) the token is for. */
  audience: string | readonly string[];
  /** `client_id`: the client the token was issued to. */
  clientId: string;
  /** `scope`: granted scopes (an array, or an already space-separated string). */
  scope: string | readonly string[];
  /** Lifetime in seconds: default 300, at most 3600 (and at most the keyring's `maxTokenLifetimeSeconds`). */
  lifetimeSeconds?: number;
  /** `sid`: the session the token was minted from, so the issuer can refuse it once that session is revoked. */
  sessionId?: string;
  /** `act`: the actor chain of a token exchange (RFC 8693 §4.1). */
  actor?: Actor;
  /** `jti`; a fresh 128-bit random id by default. */
  jwtId?: string;
  clock?: Clock;
}

export interface SignedAccessToken {
  token: string;
  jti: string;
  kid: string;
  /** Seconds since the epoch, as in the `iat` and `exp` claims. */
  issuedAt: number;
  expiresAt: number;
  /** `expires_in` for the token response. */
  expiresIn: number;
}

function nonEmpty(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  return value;
}

function scopeText(scope: string | readonly string[]): string {
  const list = typeof scope === 'string' ? scope.split(' ').filter((item) => item.length > 0) : [...scope];
  for (const item of list) {
    // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
    if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(item)) throw new TypeError('scope holds an invalid scope token');
  }
  return list.join(' ');
}

/**
 * Signs an RFC 9068 access token with the keyring's current key: header `{alg, kid, typ: "at+jwt"}`, claims
 * `iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `client_id`, `scope`, and `sid`/`act` when given. The default
 * EdDSA token with a short issuer and ids stays under 512 bytes.
 *
 * @example
 * ```ts
 * const { token, expiresIn } = await signAccessToken({
 *   keyring, issuer: 'https://auth.example', subject: user.id, audience: 'https://api.example',
 *   clientId: 'web', scope: ['notes:read'], sessionId: session.id,
 * });
 * ```
 */
export async function signAccessToken(options: AccessTokenOptions): Promise<SignedAccessToken> {
  const issuer = nonEmpty(options.issuer, 'issuer');
  const subject = nonEmpty(options.subject, 'subject');
  const clientId = nonEmpty(options.clientId, 'clientId');
  const audience =
    typeof options.audience === 'string'
      ? nonEmpty(options.audience, 'audience')
      : options.audience.map((item) => nonEmpty(item, 'audience'));
  if (Array.isArray(audience) && audience.length === 0) throw new TypeError('audience must not be empty');
  const lifetime = options.lifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_SECONDS;
  const ceiling = Math.min(MAX_ACCESS_TOKEN_SECONDS, options.keyring.maxTokenLifetimeSeconds ?? Infinity);
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > ceiling) {
    throw new TypeError(`lifetimeSeconds must be an integer from 1 to ${ceiling}`);
  }
  const { kid, alg, key } = options.keyring.signingKey();
  const issuedAt = Math.floor((options.clock ?? systemClock).now() / 1000);
  const expiresAt = issuedAt + lifetime;
  const jti =
    options.jwtId === undefined ? randomBytes(16).toString('base64url') : nonEmpty(options.jwtId, 'jwtId');

  const claims: Record<string, unknown> = { client_id: clientId, scope: scopeText(options.scope) };
  if (options.sessionId !== undefined) claims.sid = nonEmpty(options.sessionId, 'sessionId');
  if (options.actor !== undefined) claims.act = options.actor;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg, kid, typ: ACCESS_TOKEN_TYPE })
    .setIssuer(issuer)
    .setSubject(subject)
    .setAudience(typeof audience === 'string' ? audience : [...audience])
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .setJti(jti)
    .sign(key);
  return { token, jti, kid, issuedAt, expiresAt, expiresIn: lifetime };
}
