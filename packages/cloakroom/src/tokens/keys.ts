import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';

/** The signature algorithms a keyring can sign with. EdDSA (Ed25519) is the default: small, fast, no nonce. */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'RS256';

export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ['EdDSA', 'ES256', 'RS256'];

export function isSigningAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (SIGNING_ALGORITHMS as readonly string[]).includes(value);
}

/** The public members of each key type (RFC 7518 §6, RFC 8037 §2); everything else is dropped on publication. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  OKP: ['kty', 'crv', 'x'],
  EC: ['kty', 'crv', 'x', 'y'],
  RSA: ['kty', 'n', 'e'],
};

/**
 * A copy of `jwk` holding only its public members plus `kid`, `alg` and `use: "sig"`. Built by allowlist, so a
 * private member (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) can never slip into a published key set.
 */
export function publicJwkOf(jwk: JWK, kid: string, alg: SigningAlgorithm): JWK {
  const members = jwk.kty === undefined ? undefined : PUBLIC_MEMBERS[jwk.kty];
  if (members === undefined) throw new TypeError(`unsupported key type ${String(jwk.kty)}`);
  const out: Record<string, unknown> = {};
  for (const name of members) {
    const value = (jwk as Record<string, unknown>)[name];
    if (typeof value !== 'string') throw new TypeError(`the key lacks its public member ${name}`);
    out[name] = value;
  }
  return { ...out, kid, alg, use: 'sig' };
}

/** The key that signs now. `key` is a non-extractable private `CryptoKey`. */
export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  key: CryptoKey;
}

/** A freshly generated key pair as JWKs, with a kid derived from the public key. */
export interface GeneratedKey {
  kid: string;
  alg: SigningAlgorithm;
  privateJwk: JWK;
  publicJwk: JWK;
}

// 16 base64url characters (96 bits) of the RFC 7638 thumbprint: unique within any keyring, and short, because
// the kid rides in every token header.
const KID_LENGTH = 16;

/** Generates a signing key pair with `jose` (WebCrypto underneath); RSA keys are 2048-bit. */
export async function generateSigningKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const rawPublic = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(rawPublic, 'sha256')).slice(0, KID_LENGTH);
  return { kid, alg, privateJwk, publicJwk: publicJwkOf(rawPublic, kid, alg) };
}

/** Imports a stored private JWK as a non-extractable signing key. */
export async function importSigningKey(jwk: JWK, alg: SigningAlgorithm): Promise<CryptoKey> {
  const key = await importJWK(jwk, alg, { extractable: false });
  if (key instanceof Uint8Array || key.type !== 'private') {
    throw new TypeError('a signing key must be an asymmetric private key');
  }
  return key;
}
