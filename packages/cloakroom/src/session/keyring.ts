import { createHmac, hkdfSync, timingSafeEqual, type KeyObject, createSecretKey } from 'node:crypto';

/** Bytes of HMAC-SHA256 kept in the cookie: 128 bits, as NIST SP 800-107 allows for truncated MACs. */
export const MAC_BYTES = 16;
const MIN_SECRET_BYTES = 32;
// Each configured secret is stretched into a key for this one purpose, so the same secret can safely serve
// other purposes elsewhere in an application.
const KEY_INFO = 'cloakroom session cookie mac v1';

/**
 * An ordered list of signing keys: the first signs, every key verifies. Rotate by putting a new secret
 * first and keeping the old one until its cookies have expired; drop a key to sign out everyone it signed.
 */
export class Keyring {
  readonly #keys: readonly KeyObject[];

  constructor(secrets: readonly (string | Uint8Array)[]) {
    if (!Array.isArray(secrets) || secrets.length === 0) {
      throw new TypeError('keys must be a non-empty array of secrets (the first one signs)');
    }
    this.#keys = secrets.map((secret, index) => {
      const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
      if (bytes.length < MIN_SECRET_BYTES) {
        throw new TypeError(`keys[${index}] is too short: use at least ${MIN_SECRET_BYTES} random bytes`);
      }
      return createSecretKey(Buffer.from(hkdfSync('sha256', bytes, '', KEY_INFO, 32)));
    });
  }

  get size(): number {
    return this.#keys.length;
  }

  /** The base64url MAC of `payload` under the first key. */
  sign(payload: string): string {
    return macOf(this.#keys[0] as KeyObject, payload);
  }

  /** Whether `mac` was made over `payload` by any key, compared in constant time. */
  verify(payload: string, mac: string): boolean {
    const presented = decodeMac(mac);
    if (presented === null) return false;
    for (const key of this.#keys) {
      // The digest as a 'binary' (latin1) string, one character per byte, copied into a pooled Buffer: a
      // Buffer digest gets a backing store of its own, which costs nearly as much as the HMAC itself.
      const digest = createHmac('sha256', key).update(payload).digest('binary');
      if (timingSafeEqual(Buffer.from(digest.slice(0, MAC_BYTES), 'latin1'), presented)) return true;
    }
    return false;
  }
}

// 22 base64url characters, the last one of the four whose spare low bits are zero: 16 bytes take 22
// characters, the last carrying 2 bits of data and 4 spare ones. One pattern, tested once per validation.
const MAC_TEXT = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/**
 * The MAC's bytes, or `null` unless `mac` is the one canonical base64url spelling of 16 bytes. Decoding alone is
 * lenient (it ignores spare bits and skips foreign characters), which would let several spellings of one MAC
 * pass; the pattern checks leave exactly one. Decoding once is cheaper than encoding every key's MAC.
 */
function decodeMac(mac: string): Buffer | null {
  if (!MAC_TEXT.test(mac)) return null;
  const bytes = Buffer.from(mac, 'base64url');
  return bytes.length === MAC_BYTES ? bytes : null;
}

function macOf(key: KeyObject, payload: string): string {
  return createHmac('sha256', key).update(payload).digest().subarray(0, MAC_BYTES).toString('base64url');
}
