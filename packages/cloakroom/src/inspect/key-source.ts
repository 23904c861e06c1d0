import { createPublicKey, createSecretKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet, JWK } from 'jose';
import { InspectError } from './errors.js';

/** Where verification keys come from. */
export type KeySource =
  | { type: 'jwks'; jwks: JSONWebKeySet }
  | { type: 'remote-jwks'; url: URL }
  | { type: 'key'; key: KeyObject | JWK };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * `--jwks <url|file>`: an https URL (plain http only on loopback hosts: over the network a key set in clear
 * text can be swapped, which makes the check meaningless) or a file holding `{"keys": [...]}`.
 */
export async function loadJwks(location: string): Promise<KeySource> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) {
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new InspectError('key_unreadable', 'the JWKS URL is not a valid URL');
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
      throw new InspectError(
        'key_unreadable',
        'the JWKS URL must be https (plain http only on loopback hosts)',
      );
    }
    return { type: 'remote-jwks', url };
  }
  const parsed = parseJson(await readText(location, 'JWKS'));
  if (!isKeySet(parsed)) throw new InspectError('key_unreadable', 'the JWKS file has no "keys" array');
  return { type: 'jwks', jwks: parsed };
}

/**
 * `--key <file>`: a PEM public key, private key (its public half is used) or X.509 certificate; a JWK; or a
 * JWKS with one key. An `oct` JWK carries an HMAC secret, for HS* tokens.
 */
export async function loadKey(path: string): Promise<KeySource> {
  const text = (await readText(path, 'key')).trim();
  if (text.startsWith('-----BEGIN')) return { type: 'key', key: pemKey(text) };
  const parsed = parseJson(text);
  if (isKeySet(parsed)) return { type: 'jwks', jwks: parsed };
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as JWK).kty !== 'string') {
    throw new InspectError('key_unreadable', 'the key file is neither PEM nor a JWK');
  }
  const jwk = parsed as JWK;
  if (jwk.kty === 'oct' && typeof jwk.k === 'string') {
    // A KeyObject rather than the JWK: jose's JWK import refuses `oct` keys whose `alg` it must guess.
    return { type: 'key', key: createSecretKey(Buffer.from(jwk.k, 'base64url')) };
  }
  return { type: 'key', key: jwk };
}

function pemKey(pem: string): KeyObject {
  try {
    if (pem.includes('CERTIFICATE')) return new X509Certificate(pem).publicKey;
    return createPublicKey(pem);
  } catch (cause) {
    throw new InspectError('key_unreadable', 'the PEM file holds no usable public key or certificate', {
      cause,
    });
  }
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new InspectError('key_unreadable', `cannot read the ${what} file (${code})`, { cause });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new InspectError('key_unreadable', 'the file is not valid JSON or PEM', { cause });
  }
}

function isKeySet(value: unknown): value is JSONWebKeySet {
  return typeof value === 'object' && value !== null && Array.isArray((value as JSONWebKeySet).keys);
}
