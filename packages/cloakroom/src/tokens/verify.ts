import type { KeyObject } from 'node:crypto';
import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { checkCompactShape, decodeJsonSegment } from './compact.js';
import { InvalidTokenError } from './errors.js';
import { fromJoseError, messageOf } from './jose-errors.js';
import {
  keyResolverOf,
  secretResolverOf,
  type KeySetOption,
  type RemoteKeySetOptions,
} from './key-source.js';
import { MAX_ACCESS_TOKEN_SECONDS, MAX_CLOCK_TOLERANCE_SECONDS, MAX_TOKEN_BYTES } from './limits.js';
import { ACCESS_TOKEN_TYPE, type Actor } from './sign.js';
import { VerifiedTokenCache } from './verified-cache.js';

/** Algorithms a verifier may allow. HMAC ones only with a shared `secret`, never with a key set. */
export type VerificationAlgorithm =
  'EdDSA' | 'ES256' | 'ES384' | 'RS256' | 'PS256' | 'HS256' | 'HS384' | 'HS512';

const ASYMMETRIC: readonly string[] = ['EdDSA', 'ES256', 'ES384', 'RS256', 'PS256'];
const HMAC: readonly string[] = ['HS256', 'HS384', 'HS512'];

/**
 * Header members the verifier never honours and refuses outright: keys or key locations carried by the token
 * itself (`jwk`, `jku`, `x5u`, `x5c`), extensions it does not understand (`crit`, `b64`), compression (`zip`) and
 * JWE members in a JWS (`enc`).
 */
const FORBIDDEN_HEADER_MEMBERS = ['jwk', 'jku', 'x5u', 'x5c', 'crit', 'b64', 'zip', 'enc'];

/** The claims of a verified RFC 9068 access token. */
export interface AccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
  sid?: string;
  act?: Actor;
}

/** A verified token: its claims, header and scopes. Frozen (it may be shared through the cache). */
export interface VerifiedAccessToken {
  claims: Readonly<AccessTokenClaims>;
  header: Readonly<Record<string, unknown>>;
  /** `scope` split on spaces. */
  scopes: readonly string[];
}

export interface VerifierOptions {
  /** The exact `iss` to accept. */
  issuer: string;
  /** The audience(s) this service answers to: the token's `aud` must contain one. */
  audience: string | readonly string[];
  /** The explicit algorithm allowlist (for example `['EdDSA']`). `none` can never be listed. */
  algorithms: readonly VerificationAlgorithm[];
  /** The issuer's keys: a JWKS URL (fetched, cached, refetched on an unknown kid), a key set, or a live source. */
  jwks?: KeySetOption;
  /** A shared secret, for HMAC algorithms only (give this or `jwks`). */
  secret?: Uint8Array | KeyObject;
  /** Remote JWKS settings: timeout, cooldown, cache age, size cap, `fetch`. */
  remote?: RemoteKeySetOptions;
  /** The `typ` header to require (default `at+jwt`). */
  type?: string;
  /** Leeway for `exp`, `nbf` and `iat`, in seconds (default 30, at most 60). */
  clockToleranceSeconds?: number;
  /** Refuse tokens issued longer ago than this, in seconds (default 3600). */
  maxTokenAgeSeconds?: number;
  /** Refuse tokens whose `exp - iat` exceeds this, in seconds (default 3600): no absurdly long-lived tokens. */
  maxLifetimeSeconds?: number;
  /** Claims to require beyond RFC 9068's `iss sub aud exp iat jti client_id`. */
  requiredClaims?: readonly string[];
  /** Refuse tokens longer than this many bytes before parsing them (default and maximum 8192). */
  maxTokenBytes?: number;
  /** Verified-token cache: `{ max }` entries (default 10 000), or `false` to verify every time. */
  cache?: { max?: number } | false;
  clock?: Clock;
}

/** Verifies access tokens for one issuer and audience. */
export interface TokenVerifier {
  /**
   * Verifies `token` (the compact JWS, without `Bearer `). Rejects with `InvalidTokenError` (its `reason` says
   * why) or `KeySetUnavailableError` when the issuer's keys cannot be fetched.
   */
  verify(token: string): Promise<VerifiedAccessToken>;
  /** Forgets every cached verification (after revoking a key in a hurry, say). */
  clearCache(): void;
  /**
   * Fetches the remote key set again now and forgets every cached verification: after the issuer dropped a
   * compromised key, this stops trusting it without waiting for the key set's cache age. A no-op fetch for
   * fixed or live key sets. Rejects with `KeySetUnavailableError` if the fetch fails.
   */
  reloadKeys(): Promise<void>;
  /** How many verified tokens are cached. */
  readonly cacheSize: number;
}

const SIGNATURE_SEGMENT = /^[A-Za-z0-9_-]+$/;

const RFC9068_CLAIMS = ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'];

function positiveInteger(value: number, name: string, max: number): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new TypeError(`${name} must be an integer from 0 to ${max}`);
  }
  return value;
}

function checkAlgorithms(options: VerifierOptions): string[] {
  const given: unknown = options.algorithms;
  const algorithms = Array.isArray(given)
    ? given.filter((alg): alg is string => typeof alg === 'string')
    : [];
  if (algorithms.length === 0 || algorithms.length !== (given as unknown[]).length) {
    throw new TypeError('algorithms must list the allowed algorithms, e.g. ["EdDSA"]');
  }
  const hmac = options.secret !== undefined;
  if (hmac === (options.jwks !== undefined)) throw new TypeError('give exactly one of jwks and secret');
  for (const alg of algorithms) {
    if (hmac ? !HMAC.includes(alg) : !ASYMMETRIC.includes(alg)) {
      throw new TypeError(
        hmac
          ? `${alg} is not an HMAC algorithm: a secret verifies HS256, HS384 or HS512 only`
          : `${alg} cannot be used with a public key set (allowed: ${ASYMMETRIC.join(', ')})`,
      );
    }
  }
  return algorithms;
}

/**
 * Creates an access-token verifier: structure and size checks before any parsing, duplicate member names refused,
 * forbidden header members refused, then `jose.jwtVerify` with the algorithm allowlist, exact issuer, audience,
 * `typ: at+jwt`, RFC 9068's required claims, clock tolerance and maximum token age; then claim types and the
 * lifetime ceiling. Verified tokens are cached until their `exp` (see `VerifiedTokenCache`).
 *
 * @example
 * ```ts
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example',
 *   audience: 'https://api.example',
 *   algorithms: ['EdDSA'],
 *   jwks: 'https://auth.example/.well-known/jwks.json',
 * });
 * const { claims, scopes } = await verifier.verify(token);
 * ```
 */
export function createVerifier(options: VerifierOptions): TokenVerifier {
  if (typeof options.issuer !== 'string' || options.issuer.length === 0)
    throw new TypeError('issuer is required');
  const audience = typeof options.audience === 'string' ? [options.audience] : [...options.audience];
  if (audience.length === 0 || audience.some((item) => typeof item !== 'string' || item.length === 0)) {
    throw new TypeError('audience must be a non-empty string or list of strings');
  }
  const algorithms = checkAlgorithms(options);
  const tolerance = positiveInteger(
    options.clockToleranceSeconds ?? 30,
    'clockToleranceSeconds',
    MAX_CLOCK_TOLERANCE_SECONDS,
  );
  const maxAge = positiveInteger(
    options.maxTokenAgeSeconds ?? MAX_ACCESS_TOKEN_SECONDS,
    'maxTokenAgeSeconds',
    86_400,
  );
  const maxLifetime = positiveInteger(
    options.maxLifetimeSeconds ?? MAX_ACCESS_TOKEN_SECONDS,
    'maxLifetimeSeconds',
    86_400,
  );
  const maxBytes = positiveInteger(
    options.maxTokenBytes ?? MAX_TOKEN_BYTES,
    'maxTokenBytes',
    MAX_TOKEN_BYTES,
  );
  const type = options.type ?? ACCESS_TOKEN_TYPE;
  const clock = options.clock ?? systemClock;
  const requiredClaims = [...new Set([...RFC9068_CLAIMS, ...(options.requiredClaims ?? [])])];
  const keySet =
    options.secret === undefined ? keyResolverOf(options.jwks as KeySetOption, options.remote) : null;
  const keys: JWTVerifyGetKey = keySet ?? secretResolverOf(options.secret as Uint8Array | KeyObject);
  const reloadKeySet = () => keySet?.reload() ?? Promise.resolve();
  const cacheMax =
    options.cache === false ? 0 : positiveInteger(options.cache?.max ?? 10_000, 'cache.max', 10_000_000);
  const cache = cacheMax > 0 ? new VerifiedTokenCache<VerifiedAccessToken>(cacheMax) : null;

  async function verifyFully(token: string, segments: string[], now: number): Promise<VerifiedAccessToken> {
    const header = decodeJsonSegment(segments[0] as string, 'header');
    decodeJsonSegment(segments[1] as string, 'payload');
    // jose checks these too; checking first keeps the reasons precise and the key set untouched by bad tokens.
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      throw new InvalidTokenError('algorithm_not_allowed', messageOf('algorithm_not_allowed'));
    }
    if (FORBIDDEN_HEADER_MEMBERS.some((name) => Object.hasOwn(header, name))) {
      throw new InvalidTokenError('forbidden_header', messageOf('forbidden_header'));
    }
    if (header.kid !== undefined && typeof header.kid !== 'string') {
      throw new InvalidTokenError('malformed', 'the kid header is not a string');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        algorithms,
        issuer: options.issuer,
        audience,
        typ: type,
        requiredClaims,
        clockTolerance: tolerance,
        maxTokenAge: maxAge,
        currentDate: new Date(now),
      }));
    } catch (error) {
      throw fromJoseError(error);
    }
    const claims = checkClaims(payload, maxLifetime);
    const scopes =
      typeof claims.scope === 'string' ? claims.scope.split(' ').filter((s) => s.length > 0) : [];
    return Object.freeze({
      claims: Object.freeze(claims),
      header: Object.freeze(header),
      scopes: Object.freeze(scopes),
    });
  }

  return {
    async verify(token) {
      const now = clock.now();
      if (cache !== null && typeof token === 'string' && token.length <= maxBytes) {
        // The fast path. A hit needs `header.payload` identical to a token that passed every check, so only the
        // signature segment is left to check here: base64url only (the decoder would skip foreign characters).
        const dot = token.lastIndexOf('.');
        const tail = token.slice(dot + 1);
        if (dot > 0 && SIGNATURE_SEGMENT.test(tail) && tail.length % 4 !== 1) {
          const hit = cache.get(token.slice(0, dot), Buffer.from(tail, 'base64url'), now);
          if (hit !== undefined) return hit;
        }
      }
      const segments = checkCompactShape(token, maxBytes, 'jws');
      if (cache === null) return verifyFully(token, segments, now);
      const signingInput = `${segments[0] as string}.${segments[1] as string}`;
      const signature = Buffer.from(segments[2] as string, 'base64url');
      const verified = await verifyFully(token, segments, now);
      const expiresAt = Math.min(verified.claims.exp, verified.claims.iat + maxAge) * 1000;
      cache.set(signingInput, signature, expiresAt, verified);
      return verified;
    },
    clearCache() {
      cache?.clear();
    },
    async reloadKeys() {
      await reloadKeySet();
      cache?.clear();
    },
    get cacheSize() {
      return cache?.size ?? 0;
    },
  };
}

function claimInvalid(detail: string): InvalidTokenError {
  return new InvalidTokenError('claim_invalid', `${messageOf('claim_invalid')} (${detail})`);
}

function isActor(value: unknown, depth: number): value is Actor {
  if (depth > 8 || typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const actor = value as Record<string, unknown>;
  return typeof actor.sub === 'string' && (actor.act === undefined || isActor(actor.act, depth + 1));
}

/** The type checks jose leaves to the application, and the lifetime ceiling. */
function checkClaims(payload: JWTPayload, maxLifetime: number): AccessTokenClaims {
  for (const name of ['iss', 'sub', 'jti', 'client_id'] as const) {
    const value = payload[name];
    if (typeof value !== 'string' || value.length === 0) throw claimInvalid(name);
  }
  for (const name of ['scope', 'sid'] as const) {
    if (payload[name] !== undefined && typeof payload[name] !== 'string') throw claimInvalid(name);
  }
  if (payload.act !== undefined && !isActor(payload.act, 1)) throw claimInvalid('act');
  const { exp, iat } = payload;
  if (typeof exp !== 'number' || typeof iat !== 'number') throw claimInvalid('exp');
  if (exp - iat > maxLifetime) throw claimInvalid('exp');
  return payload as AccessTokenClaims;
}
