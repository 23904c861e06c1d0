import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWSHeaderParameters,
} from 'jose';
import type { KeyObject } from 'node:crypto';
import { KeySetUnavailableError } from './errors.js';

/** A `fetch`-compatible function (inject one in tests). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Something that can hand out its current public key set, such as a `SigningKeyring` in the issuer's process. */
export interface PublicKeySetSource {
  publicJwks(): JSONWebKeySet;
}

/**
 * Where the verifier finds its keys, always from configuration: the issuer's JWKS URL, a fixed key set, a live
 * source such as the issuer's own keyring, or (HMAC only) a shared secret. Never from the token.
 */
export type KeySetOption = string | URL | JSONWebKeySet | PublicKeySetSource;

export interface RemoteKeySetOptions {
  /** Abort a JWKS request after this long (default 5000 ms). */
  timeoutMs?: number;
  /** After a fetch, an unknown `kid` triggers no new fetch for this long (default 30 000 ms). */
  cooldownMs?: number;
  /** Refetch the key set when it is older than this (default 600 000 ms). */
  cacheMaxAgeMs?: number;
  /** Refuse a JWKS response larger than this (default 64 KiB). */
  maxBytes?: number;
  /** The `fetch` to use (default the global one). */
  fetch?: FetchLike;
}

export type KeyResolver = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<CryptoKey>;

const DEFAULT_MAX_JWKS_BYTES = 64 * 1024;

function isPublicKeySetSource(value: unknown): value is PublicKeySetSource {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PublicKeySetSource).publicJwks === 'function'
  );
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys);
}

/**
 * Builds the key lookup jose calls with each token's protected header. Lookup failures other than "no such key"
 * (timeouts, HTTP errors, oversize or invalid key sets) become `KeySetUnavailableError`.
 */
export function keyResolverOf(
  source: KeySetOption,
  remote: RemoteKeySetOptions = {},
): KeyResolver & { reload(): Promise<void> } {
  let resolve: KeyResolver;
  // Only a remote set has anything to reload; fixed and live sets are always current.
  let reload: () => Promise<void> = () => Promise.resolve();
  if (typeof source === 'string' || source instanceof URL) {
    const url = new URL(source);
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      throw new TypeError('the JWKS URL must be http(s)');
    const set = createRemoteJWKSet(url, {
      timeoutDuration: remote.timeoutMs ?? 5000,
      cooldownDuration: remote.cooldownMs ?? 30_000,
      cacheMaxAge: remote.cacheMaxAgeMs ?? 600_000,
      [customFetch]: cappedFetch(remote.fetch ?? fetch, remote.maxBytes ?? DEFAULT_MAX_JWKS_BYTES),
    });
    resolve = set;
    reload = () => set.reload();
  } else if (isPublicKeySetSource(source)) {
    // Rebuild the local set only when the source hands out a new object (the keyring keeps one until it changes).
    let last: JSONWebKeySet | null = null;
    let local: KeyResolver | null = null;
    resolve = (header, token) => {
      const jwks = source.publicJwks();
      if (jwks !== last || local === null) {
        local = createLocalJWKSet(jwks);
        last = jwks;
      }
      return local(header, token);
    };
  } else if (isKeySet(source)) {
    resolve = createLocalJWKSet(source);
  } else {
    throw new TypeError('jwks must be a URL, a JSON Web Key Set or an object with publicJwks()');
  }
  const lookup: KeyResolver = async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
        throw error;
      throw new KeySetUnavailableError('the key set could not be obtained', { cause: error });
    }
  };
  return Object.assign(lookup, {
    reload: async () => {
      try {
        await reload();
      } catch (error) {
        throw new KeySetUnavailableError('the key set could not be obtained', { cause: error });
      }
    },
  });
}

const HMAC_HASHES: Partial<Record<string, string>> = { HS256: 'SHA-256', HS384: 'SHA-384', HS512: 'SHA-512' };

/**
 * A resolver for one shared secret (HMAC algorithms only). A raw secret is imported once per algorithm as a
 * non-extractable `CryptoKey` (jose would otherwise import it again for every token).
 */
export function secretResolverOf(secret: Uint8Array | KeyObject): KeyResolver {
  if (!(secret instanceof Uint8Array)) return () => Promise.resolve(secret as unknown as CryptoKey);
  if (secret.byteLength < 32) throw new TypeError('an HMAC secret must be at least 32 bytes');
  const bytes = new Uint8Array(secret);
  const imported = new Map<string, Promise<CryptoKey>>();
  return (header) => {
    const alg: string = header.alg ?? '';
    let key = imported.get(alg);
    if (key === undefined) {
      const hash = HMAC_HASHES[alg];
      // The allowlist is checked before any key lookup; anything else here is a bug, reported as a bad token.
      if (hash === undefined) return Promise.reject(new errors.JOSEAlgNotAllowed('algorithm not allowed'));
      key = crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash }, false, ['verify']);
      imported.set(alg, key);
    }
    return key;
  };
}

/**
 * Wraps `fetchImpl` so a JWKS response is read only up to `maxBytes` (an oversize body is cancelled, not
 * buffered), and only a 200 is passed on.
 */
export function cappedFetch(fetchImpl: FetchLike, maxBytes: number): FetchLike {
  return async (url, init) => {
    const response = await fetchImpl(url, init);
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error(`the JWKS endpoint answered ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await response.body?.cancel().catch(() => undefined);
      throw new Error('the JWKS response is too large');
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body !== null) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) {
          await reader.cancel().catch(() => undefined);
          throw new Error('the JWKS response is too large');
        }
        chunks.push(value);
      }
    }
    return new Response(Buffer.concat(chunks), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  };
}
