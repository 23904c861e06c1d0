import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { RequestInfo } from '../session/index.js';
import { clearLegacyCookie, legacyCookie, readBearer, readLegacyCookie } from './cookie.js';
import { dotPath, replayKey, valueAt } from './hash.js';
import type {
  FoundCredential,
  LegacyCookie,
  LegacyRefusalReason,
  LegacySource,
  VerifyResult,
} from './types.js';

/** The algorithms a legacy JWT may be accepted with; `none` is not among them, whatever the options say. */
export const LEGACY_JWT_ALGORITHMS = ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'EdDSA'] as const;
export type LegacyJwtAlgorithm = (typeof LEGACY_JWT_ALGORITHMS)[number];

/** Options of {@link jwtSource}: where the JWT comes from, how it is verified, and who it names. */
export interface JwtSourceOptions {
  /** The cookie holding the JWT (name, or name with the path and domain it was set with). */
  cookie?: string | LegacyCookie;
  /** Also accept `Authorization: Bearer <jwt>`. Default `false`. */
  bearer?: boolean;
  /** The explicit allowlist; a token signed with any other algorithm (or `none`) is refused. */
  algorithms: readonly LegacyJwtAlgorithm[];
  /** The HMAC secret (HS* algorithms). Exactly one of `secret`, `publicKeyPem`, `jwksUrl`. */
  secret?: string | Uint8Array;
  /** The public key, PEM (SPKI or certificate), for RS256, PS256, ES256 or EdDSA. */
  publicKeyPem?: string;
  /** A JWKS URL, fetched and cached by `jose`. */
  jwksUrl?: string;
  /** Checked when given. */
  issuer?: string;
  /** Checked when given. */
  audience?: string | readonly string[];
  /** The claim naming the user (a dot path). Default `sub`. */
  userClaim?: string;
  /** Clock skew allowed on `exp`/`nbf`. Default 0. */
  clockToleranceSeconds?: number;
  /** Default `jwt`. */
  name?: string;
}

const HMAC = new Set<string>(['HS256', 'HS384', 'HS512']);
const MAX_JWT_LENGTH = 8192;

/**
 * Legacy JWT sessions, in a cookie or a bearer header, verified with `jose`: explicit algorithms, `exp`
 * required, `iss`/`aud` when configured. The exchange remembers the token's `jti` (else its hash) until its
 * `exp`, so a copy of it is refused afterwards.
 *
 * @example
 * ```ts
 * const source = jwtSource({ cookie: 'token', algorithms: ['HS256'], secret: process.env.JWT_SECRET!,
 *   issuer: 'https://legacy.example', userClaim: 'email' });
 * ```
 */
export function jwtSource(options: JwtSourceOptions): LegacySource {
  const cookie = options.cookie === undefined ? null : legacyCookie(options.cookie, 'cookie');
  const bearer = options.bearer ?? false;
  if (typeof bearer !== 'boolean') throw new TypeError('bearer must be a boolean');
  if (cookie === null && !bearer) throw new TypeError('a JWT source needs a cookie, bearer: true, or both');
  const algorithms = [...(options.algorithms as readonly unknown[])];
  if (!Array.isArray(options.algorithms) || algorithms.length === 0) {
    throw new TypeError(`algorithms must list some of ${LEGACY_JWT_ALGORITHMS.join(', ')}`);
  }
  for (const alg of algorithms) {
    if (!(LEGACY_JWT_ALGORITHMS as readonly unknown[]).includes(alg)) {
      throw new TypeError(`algorithms: ${String(alg)} is not one of ${LEGACY_JWT_ALGORITHMS.join(', ')}`);
    }
  }
  const key = keyOf(options, algorithms as LegacyJwtAlgorithm[]);
  const userClaim = dotPath(options.userClaim ?? 'sub', 'userClaim');
  const tolerance = options.clockToleranceSeconds ?? 0;
  if (typeof tolerance !== 'number' || !(tolerance >= 0) || tolerance > 300) {
    throw new TypeError('clockToleranceSeconds must be between 0 and 300');
  }
  const name = options.name ?? 'jwt';
  const verifyOptions = {
    algorithms: algorithms as string[],
    requiredClaims: ['exp'],
    clockTolerance: tolerance,
    ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
    ...(options.audience === undefined ? {} : { audience: [...[options.audience].flat()] }),
  };

  return {
    name,
    find(info: RequestInfo): FoundCredential | null {
      if (cookie !== null) {
        const value = readLegacyCookie(info.cookie, cookie.name);
        if (value !== null) return { value, via: 'cookie' };
      }
      if (bearer) {
        const value = readBearer(info.authorization);
        // Only a JWS compact form is a candidate: other bearer tokens are the site's own business.
        if (value !== null && value.split('.').length === 3) return { value, via: 'bearer' };
      }
      return null;
    },
    async verify(token: string, now: number): Promise<VerifyResult> {
      if (token.length > MAX_JWT_LENGTH) return { ok: false, reason: 'malformed' };
      let payload: Record<string, unknown>;
      try {
        const verified =
          typeof key === 'function'
            ? await jwtVerify(token, key, { ...verifyOptions, currentDate: new Date(now) })
            : await jwtVerify(token, key, { ...verifyOptions, currentDate: new Date(now) });
        payload = verified.payload;
      } catch (error) {
        return { ok: false, reason: reasonOf(error, typeof key === 'function') };
      }
      const subject = valueAt(payload, userClaim);
      const exp = payload.exp;
      if (
        typeof subject !== 'string' ||
        subject.length === 0 ||
        subject.length > 320 ||
        typeof exp !== 'number'
      ) {
        return { ok: false, reason: 'claims' };
      }
      const jti = payload.jti;
      const iss = typeof payload.iss === 'string' ? payload.iss : '';
      return {
        ok: true,
        credential: {
          subject,
          expiresAt: exp * 1000,
          replayKey:
            typeof jti === 'string' && jti.length > 0
              ? replayKey(name, 'jti', iss, jti)
              : replayKey(name, 'jwt', token),
          data: payload,
        },
      };
    },
    clearCookie(via) {
      return via === 'cookie' && cookie !== null ? clearLegacyCookie(cookie) : null;
    },
  };
}

function keyOf(
  options: JwtSourceOptions,
  algorithms: LegacyJwtAlgorithm[],
): Uint8Array | KeyObject | JWTVerifyGetKey {
  const given = [options.secret, options.publicKeyPem, options.jwksUrl].filter(
    (value) => value !== undefined,
  );
  if (given.length !== 1) throw new TypeError('give exactly one of secret, publicKeyPem and jwksUrl');
  const hmac = algorithms.filter((alg) => HMAC.has(alg));
  if (options.secret !== undefined) {
    if (hmac.length !== algorithms.length)
      throw new TypeError('a secret verifies only HS256, HS384 and HS512');
    const secret =
      typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (!(secret instanceof Uint8Array) || secret.length < 16) {
      throw new TypeError('secret must be at least 16 bytes');
    }
    return secret;
  }
  if (hmac.length > 0) throw new TypeError('HS256, HS384 and HS512 need a secret, not a public key');
  if (options.publicKeyPem !== undefined) {
    try {
      return createPublicKey(options.publicKeyPem);
    } catch (error) {
      throw new TypeError('publicKeyPem is not a PEM public key', { cause: error });
    }
  }
  let url: URL;
  try {
    url = new URL(String(options.jwksUrl));
  } catch (error) {
    throw new TypeError('jwksUrl must be a URL', { cause: error });
  }
  if (url.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) {
    throw new TypeError('jwksUrl must be https (plain http only on loopback hosts)');
  }
  return createRemoteJWKSet(url);
}

function reasonOf(error: unknown, remote: boolean): LegacyRefusalReason {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported)
    return 'algorithm';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'bad_signature';
  }
  if (error instanceof errors.JWKSTimeout) return 'key_unavailable';
  if (error instanceof errors.JWTClaimValidationFailed) return 'claims';
  if (error instanceof errors.JOSEError) return 'malformed';
  // A failed JWKS fetch (network) surfaces as a plain error; without a remote key set, a plain error is
  // jose refusing the input's shape.
  return remote ? 'key_unavailable' : 'malformed';
}
