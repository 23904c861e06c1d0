import {
  calculateJwkThumbprint,
  CompactEncrypt,
  compactDecrypt,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
} from 'jose';
import { checkCompactShape, decodeJsonSegment } from './compact.js';
import { InvalidTokenError } from './errors.js';
import { fromJoseError, messageOf } from './jose-errors.js';
import { MAX_TOKEN_BYTES } from './limits.js';
import type { TokenVerifier, VerifiedAccessToken } from './verify.js';

/**
 * Key management algorithms for encrypting to an audience's public key. Only asymmetric ones: no `dir` or AES
 * key wrap with shared keys, no PBES2 (password-based, and a forged `p2c` makes the recipient burn CPU), no RSA1_5
 * (padding-oracle prone), no SHA-1 RSA-OAEP.
 */
export type KeyManagementAlgorithm =
  'ECDH-ES' | 'ECDH-ES+A128KW' | 'ECDH-ES+A256KW' | 'RSA-OAEP-256' | 'RSA-OAEP-384' | 'RSA-OAEP-512';

export type ContentEncryptionAlgorithm = 'A128GCM' | 'A256GCM' | 'A128CBC-HS256' | 'A256CBC-HS512';

const KEY_MANAGEMENT: readonly string[] = [
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A256KW',
  'RSA-OAEP-256',
  'RSA-OAEP-384',
  'RSA-OAEP-512',
];
const CONTENT_ENCRYPTION: readonly string[] = ['A128GCM', 'A256GCM', 'A128CBC-HS256', 'A256CBC-HS512'];

/** JWE header members never honoured: compression, password-based parameters, keys or key locations. */
const FORBIDDEN_JWE_MEMBERS = ['zip', 'p2s', 'p2c', 'jwk', 'jku', 'x5u', 'x5c', 'crit'];

/** An encryption key pair for one audience; keep `privateJwk` secret (the audience decrypts with it). */
export interface EncryptionKey {
  kid: string;
  alg: KeyManagementAlgorithm;
  privateJwk: JWK;
  /** Public members plus `kid`, `alg` and `use: "enc"`: give this to the issuer. */
  publicJwk: JWK;
}

/**
 * Generates an encryption key pair (P-256 for ECDH-ES, 2048-bit RSA for RSA-OAEP), separate from any signing key.
 *
 * @example
 * ```ts
 * const key = await generateEncryptionKey('ECDH-ES+A256KW');
 * // the audience keeps key.privateJwk; the issuer encrypts to key.publicJwk
 * ```
 */
export async function generateEncryptionKey(
  alg: KeyManagementAlgorithm = 'ECDH-ES+A256KW',
): Promise<EncryptionKey> {
  if (!KEY_MANAGEMENT.includes(alg)) throw new TypeError(`${alg} is not an allowed key management algorithm`);
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  const raw = await exportJWK(publicKey);
  const kid = (await calculateJwkThumbprint(raw, 'sha256')).slice(0, 16);
  const { kty, crv, x, y, n, e } = raw;
  const publicMembers = Object.fromEntries(
    Object.entries({ kty, crv, x, y, n, e }).filter(([, value]) => value !== undefined),
  );
  return {
    kid,
    alg,
    privateJwk: { ...privateJwk, kid },
    publicJwk: { ...publicMembers, kid, alg, use: 'enc' },
  };
}

export interface EncryptOptions {
  /** The audience's public encryption key (a JWK with `alg` and `kid`, or a `CryptoKey` with `kid` given). */
  key: JWK | CryptoKey;
  alg?: KeyManagementAlgorithm;
  /** Default `A256GCM`. */
  enc?: ContentEncryptionAlgorithm;
  kid?: string;
}

/**
 * Encrypts a signed JWT to an audience (a nested JWT, RFC 7519 §5.2: header `cty: "JWT"`), so only that audience
 * can read its claims. Sign first (`signAccessToken`), then encrypt.
 */
export async function encryptToken(signedJwt: string, options: EncryptOptions): Promise<string> {
  const isJwk = !(options.key instanceof CryptoKey);
  const jwk = isJwk ? (options.key as JWK) : undefined;
  const alg = options.alg ?? (jwk?.alg as KeyManagementAlgorithm | undefined) ?? 'ECDH-ES+A256KW';
  const enc = options.enc ?? 'A256GCM';
  if (!KEY_MANAGEMENT.includes(alg)) throw new TypeError(`${alg} is not an allowed key management algorithm`);
  if (!CONTENT_ENCRYPTION.includes(enc)) throw new TypeError(`${enc} is not an allowed content encryption`);
  if (jwk !== undefined && typeof jwk.d === 'string')
    throw new TypeError('encrypt to the public key, not the private one');
  const key = jwk === undefined ? (options.key as CryptoKey) : await importJWK(jwk, alg);
  const kid = options.kid ?? jwk?.kid;
  return new CompactEncrypt(new TextEncoder().encode(signedJwt))
    .setProtectedHeader({ alg, enc, cty: 'JWT', ...(kid === undefined ? {} : { kid }) })
    .encrypt(key);
}

export interface NestedVerifierOptions {
  /** Verifies the inner signed token (issuer, audience, algorithms, …). */
  verifier: TokenVerifier;
  /** This audience's private decryption keys (JWKs with `kid`); the token's `kid` picks one. */
  decryptionKeys: readonly JWK[];
  keyManagementAlgorithms: readonly KeyManagementAlgorithm[];
  contentEncryptionAlgorithms: readonly ContentEncryptionAlgorithm[];
  /** Refuse larger tokens before parsing (default and maximum 8192 bytes). */
  maxTokenBytes?: number;
}

/** Decrypts then verifies nested tokens. */
export interface NestedTokenVerifier {
  verify(token: string): Promise<VerifiedAccessToken>;
}

function allowlist<T extends string>(given: readonly T[], allowed: readonly string[], name: string): T[] {
  const list: unknown = given;
  if (!Array.isArray(list) || list.length === 0)
    throw new TypeError(`${name} must list the allowed algorithms`);
  for (const alg of list as unknown[]) {
    if (typeof alg !== 'string' || !allowed.includes(alg)) {
      throw new TypeError(`${name}: ${String(alg)} is not allowed (allowed: ${allowed.join(', ')})`);
    }
  }
  return given.slice();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates a verifier for nested tokens: the compact JWE's shape and size are checked before parsing, its protected
 * header must name allowed algorithms, `cty: "JWT"` and no forbidden member (`zip`, PBES2 parameters, embedded or
 * remote keys), then jose decrypts it with explicit `keyManagementAlgorithms` and `contentEncryptionAlgorithms`,
 * and the inner JWS goes through the ordinary verifier.
 *
 * @example
 * ```ts
 * const nested = createNestedVerifier({
 *   verifier, decryptionKeys: [key.privateJwk],
 *   keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'],
 * });
 * const { claims } = await nested.verify(jwe);
 * ```
 */
export function createNestedVerifier(options: NestedVerifierOptions): NestedTokenVerifier {
  const keyManagement = allowlist(options.keyManagementAlgorithms, KEY_MANAGEMENT, 'keyManagementAlgorithms');
  const contentEncryption = allowlist(
    options.contentEncryptionAlgorithms,
    CONTENT_ENCRYPTION,
    'contentEncryptionAlgorithms',
  );
  const maxBytes = options.maxTokenBytes ?? MAX_TOKEN_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_TOKEN_BYTES) {
    throw new TypeError(`maxTokenBytes must be an integer from 1 to ${MAX_TOKEN_BYTES}`);
  }
  if (options.decryptionKeys.length === 0) throw new TypeError('decryptionKeys must hold at least one key');
  const keys = new Map<string, JWK>();
  for (const jwk of options.decryptionKeys) {
    if (typeof jwk.kid !== 'string' || typeof jwk.d !== 'string') {
      throw new TypeError('each decryption key must be a private JWK with a kid');
    }
    keys.set(jwk.kid, jwk);
  }
  const imported = new Map<string, Promise<CryptoKey | Uint8Array>>();

  return {
    async verify(token) {
      const segments = checkCompactShape(token, maxBytes, 'jwe');
      const header = decodeJsonSegment(segments[0] as string, 'header');
      const { alg, enc, cty, kid } = header;
      if (typeof alg !== 'string' || !(keyManagement as string[]).includes(alg)) {
        throw new InvalidTokenError('algorithm_not_allowed', messageOf('algorithm_not_allowed'));
      }
      if (typeof enc !== 'string' || !(contentEncryption as string[]).includes(enc)) {
        throw new InvalidTokenError('algorithm_not_allowed', messageOf('algorithm_not_allowed'));
      }
      if (FORBIDDEN_JWE_MEMBERS.some((name) => Object.hasOwn(header, name))) {
        throw new InvalidTokenError('forbidden_header', messageOf('forbidden_header'));
      }
      if (typeof cty !== 'string' || cty.toUpperCase() !== 'JWT') {
        throw new InvalidTokenError('wrong_type', 'the encrypted token does not hold a JWT (cty)');
      }
      const jwk =
        typeof kid === 'string' ? keys.get(kid) : keys.size === 1 ? [...keys.values()][0] : undefined;
      if (jwk === undefined) throw new InvalidTokenError('unknown_key', messageOf('unknown_key'));
      const cacheKey = `${jwk.kid as string} ${alg}`;
      let inner: string;
      try {
        let key = imported.get(cacheKey);
        if (key === undefined) {
          key = importJWK(jwk, alg);
          imported.set(cacheKey, key);
          // A key that does not import (wrong type for this algorithm) is not kept as a rejected promise.
          key.catch(() => imported.delete(cacheKey));
        }
        const { plaintext } = await compactDecrypt(token, await key, {
          keyManagementAlgorithms: keyManagement,
          contentEncryptionAlgorithms: contentEncryption,
        });
        inner = utf8.decode(plaintext);
      } catch (error) {
        throw fromJoseError(error);
      }
      return options.verifier.verify(inner);
    },
  };
}
