import type { KeyObject } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import type { ExtractedToken } from './extract.js';
import type { KeySource } from './key-source.js';

/** Why a token did or did not verify. Stable codes. */
export type VerificationCode =
  | 'valid'
  | 'signature_invalid'
  | 'expired'
  | 'claim_invalid'
  | 'alg_not_allowed'
  | 'no_matching_key'
  | 'jwks_unavailable'
  | 'token_invalid'
  | 'unsupported';

/** The outcome of `--jwks`/`--key`: `skipped` when neither was given. */
export interface VerificationResult {
  status: 'skipped' | 'valid' | 'invalid' | 'unsupported';
  code: VerificationCode | null;
  reason: string | null;
  /** The algorithms the token's `alg` had to be one of. */
  algorithms: string[] | null;
}

export interface VerifyTokenOptions {
  source: KeySource;
  /** The allowlist; by default the algorithms the key can serve (never `none`; HS* only for secret keys). */
  algorithms?: readonly string[];
  issuer?: string;
  audience?: string;
  /** Seconds of leeway on exp/nbf. Default 0. */
  clockToleranceSeconds?: number;
  /** Seconds since the epoch; default: the system clock. */
  now?: number;
}

export const SKIPPED: VerificationResult = {
  status: 'skipped',
  code: null,
  reason: 'no --jwks or --key given',
  algorithms: null,
};

const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC = ['ES256', 'ES384', 'ES512'];
const OKP = ['EdDSA', 'Ed25519'];
const HMAC = ['HS256', 'HS384', 'HS512'];
const CURVES: Record<string, string> = {
  'P-256': 'ES256',
  prime256v1: 'ES256',
  'P-384': 'ES384',
  secp384r1: 'ES384',
  'P-521': 'ES512',
  secp521r1: 'ES512',
};

/**
 * Verifies a JWT with jose's `jwtVerify`: signature, algorithm allowlist, exp/nbf, and issuer and audience
 * when given. A JWE or a Cloakroom session cannot be checked with a public key and comes back `unsupported`.
 * Never throws for a bad token or an unreachable JWKS: the result says why.
 */
export async function verifyToken(
  found: ExtractedToken,
  options: VerifyTokenOptions,
): Promise<VerificationResult> {
  const algorithms = [...(options.algorithms ?? defaultAlgorithms(options.source))];
  if (found.kind === 'jwe') {
    return unsupported(algorithms, 'a JWE is encrypted: it must be decrypted before anything can be checked');
  }
  if (found.kind === 'session') {
    return unsupported(
      algorithms,
      'an opaque session ticket is checked by the server that issued it, not with a key',
    );
  }
  const verifyOptions: JWTVerifyOptions = { algorithms };
  if (options.issuer !== undefined) verifyOptions.issuer = options.issuer;
  if (options.audience !== undefined) verifyOptions.audience = options.audience;
  if (options.clockToleranceSeconds !== undefined)
    verifyOptions.clockTolerance = options.clockToleranceSeconds;
  if (options.now !== undefined) verifyOptions.currentDate = new Date(options.now * 1000);
  try {
    const source = options.source;
    if (source.type === 'key') await jwtVerify(found.token, source.key, verifyOptions);
    else await jwtVerify(found.token, keySet(source), verifyOptions);
    return { status: 'valid', code: 'valid', reason: null, algorithms };
  } catch (error) {
    const [code, reason] = explain(error);
    return { status: 'invalid', code, reason, algorithms };
  }
}

function keySet(source: Exclude<KeySource, { type: 'key' }>): JWTVerifyGetKey {
  if (source.type === 'jwks') return createLocalJWKSet(source.jwks);
  return createRemoteJWKSet(source.url, { timeoutDuration: 5000 });
}

function unsupported(algorithms: string[], reason: string): VerificationResult {
  return { status: 'unsupported', code: 'unsupported', reason, algorithms };
}

/**
 * The algorithms a key can verify: a JWK's own `alg`, or every algorithm of its key type; for a JWKS file, those
 * of its keys; for a JWKS URL (not fetched yet), every asymmetric algorithm. Never `none`.
 */
export function defaultAlgorithms(source: KeySource): string[] {
  if (source.type === 'remote-jwks') return [...RSA, ...EC, ...OKP];
  if (source.type === 'jwks') {
    const all = source.jwks.keys.flatMap((key) => defaultAlgorithms({ type: 'key', key }));
    return [...new Set(all)];
  }
  const key = source.key;
  if (isKeyObject(key)) {
    if (key.type === 'secret') return HMAC;
    const type = key.asymmetricKeyType;
    if (type === 'rsa') return RSA;
    if (type === 'rsa-pss') return RSA.filter((alg) => alg.startsWith('PS'));
    if (type === 'ec') return algFromCurve(key.asymmetricKeyDetails?.namedCurve);
    if (type === 'ed25519') return OKP;
    if (type === 'ed448') return ['EdDSA'];
    return [];
  }
  if (typeof key.alg === 'string') return [key.alg];
  if (key.kty === 'RSA') return RSA;
  if (key.kty === 'EC') return algFromCurve(key.crv);
  if (key.kty === 'OKP') return key.crv === 'Ed25519' ? OKP : ['EdDSA'];
  if (key.kty === 'oct') return HMAC;
  return [];
}

function algFromCurve(curve: string | undefined): string[] {
  const alg = curve === undefined ? undefined : CURVES[curve];
  return alg === undefined ? [] : [alg];
}

function isKeyObject(key: KeyObject | JWK): key is KeyObject {
  return typeof (key as KeyObject).export === 'function';
}

// jose's messages name claims and checks, never the token; other errors (network) are reduced to their code.
function explain(error: unknown): [VerificationCode, string] {
  if (error instanceof errors.JWTExpired) return ['expired', `the token has expired (${error.message})`];
  if (error instanceof errors.JWTClaimValidationFailed) return ['claim_invalid', error.message];
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return ['signature_invalid', 'the signature does not match the key'];
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return ['alg_not_allowed', "the token's alg is not in the allowlist (see --alg)"];
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return ['no_matching_key', "no key in the JWKS matches the token's kid and alg"];
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return ['no_matching_key', 'several keys in the JWKS match and none verifies the signature'];
  }
  if (error instanceof errors.JWKSTimeout) return ['jwks_unavailable', 'the JWKS URL did not answer in time'];
  if (error instanceof errors.JWKSInvalid) return ['jwks_unavailable', 'the JWKS is not a valid key set'];
  if (error instanceof errors.JOSENotSupported) return ['unsupported', error.message];
  if (error instanceof errors.JOSEError) {
    if (error.message.includes('JSON Web Key Set')) return ['jwks_unavailable', error.message];
    return ['token_invalid', error.message];
  }
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (error instanceof TypeError && cause === undefined && error.message !== 'fetch failed') {
    return ['token_invalid', `the key does not fit the token (${error.message})`];
  }
  return [
    'jwks_unavailable',
    `the JWKS could not be fetched${typeof cause === 'string' ? ` (${cause})` : ''}`,
  ];
}
