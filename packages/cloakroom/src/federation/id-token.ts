import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { FederationError } from './errors.js';

/** The JWS algorithms an ID token may be signed with; `none` is not among them. */
export type IdTokenAlgorithm =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519'
  | 'HS256'
  | 'HS384'
  | 'HS512';

export interface JwtCheckOptions {
  jwks: ReturnType<typeof createRemoteJWKSet>;
  algorithms: readonly IdTokenAlgorithm[];
  issuer: string;
  clientId: string;
  clientSecret?: string;
  clockToleranceSeconds: number;
}

/**
 * Verifies a provider JWT's signature and its `iss` and `aud` with jose: the key comes from the provider's
 * JWKS (refetched on an unknown `kid`, so key rotation works), or, for the HS algorithms and only when they
 * were allowed, from the client secret. Any other algorithm (`none` included) is refused.
 */
export async function verifyProviderJwt(
  token: string,
  options: JwtCheckOptions,
  extra: { typ?: string; requiredClaims?: string[]; maxTokenAge?: number } = {},
): Promise<JWTPayload> {
  const secret = options.clientSecret === undefined ? null : new TextEncoder().encode(options.clientSecret);
  const result = await jwtVerify(
    token,
    async (header, jws) => {
      if (header.alg.startsWith('HS') && secret !== null) return secret;
      return options.jwks(header, jws);
    },
    {
      algorithms: [...options.algorithms],
      issuer: options.issuer,
      audience: options.clientId,
      clockTolerance: options.clockToleranceSeconds,
      ...(extra.typ === undefined ? {} : { typ: extra.typ }),
      ...(extra.requiredClaims === undefined ? {} : { requiredClaims: extra.requiredClaims }),
      ...(extra.maxTokenAge === undefined ? {} : { maxTokenAge: extra.maxTokenAge }),
    },
  );
  return result.payload;
}

/** Whether a failure means the JWKS could not be had (rather than a bad token). */
export function isJwksOutage(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout) return true;
  // jose's answer to a JWKS response other than 200 OK.
  if (error instanceof errors.JOSEError) return error.message.startsWith('Expected 200 OK');
  // fetch's own failure (refused, reset, DNS) is a TypeError without a code.
  return error instanceof TypeError && (error as { code?: unknown }).code === undefined;
}

/**
 * Checks the ID token's signature (openid-client has already checked its claims, `nonce` included): rejects
 * with `invalid_id_token`, or `provider_unavailable` when the JWKS cannot be fetched.
 */
export async function verifyIdTokenSignature(token: string, options: JwtCheckOptions): Promise<void> {
  try {
    decodeProtectedHeader(token);
    await verifyProviderJwt(token, options);
  } catch (error) {
    if (isJwksOutage(error)) {
      throw new FederationError('provider_unavailable', 'the provider JWKS could not be fetched', {
        cause: error,
      });
    }
    throw new FederationError('invalid_id_token', 'the ID token signature failed verification', {
      cause: error,
    });
  }
}
