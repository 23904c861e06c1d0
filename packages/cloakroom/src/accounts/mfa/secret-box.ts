import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** One key of a {@link TotpSecretBox}: an id (stored with each ciphertext) and a secret from the site's secrets. */
export interface SecretBoxKey {
  /** Letters, digits, `_` and `-`, at most 32: written in front of each ciphertext, so keys can rotate. */
  id: string;
  /** At least 32 characters of high-entropy secret (e.g. `openssl rand -base64 32`). */
  secret: string;
}

const FORMAT = 'v1';
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// HKDF's salt and info tie the derived key to this one use: the same site secret used elsewhere gives
// another key.
const SALT = Buffer.from('cloakroom/accounts/mfa', 'utf8');
const INFO = Buffer.from('cloakroom totp secret encryption v1', 'utf8');

/**
 * Encrypts TOTP secrets at rest: AES-256-GCM (node:crypto), the key derived with HKDF-SHA-256 from a secret
 * the site provides, a fresh 96-bit IV per secret, and the user id as additional data (a ciphertext copied to
 * another user's row does not decrypt). Ciphertexts read `v1.<key id>.<iv>.<ciphertext+tag>` (base64url).
 * Keys are an ordered list: the first encrypts, every one decrypts, so a new key goes first and the old one
 * stays until every secret has been re-encrypted (each user turning two-factor on again: see `needsReencrypt`).
 *
 * @example
 * ```ts
 * const box = new TotpSecretBox([{ id: '2026-12', secret: process.env.MFA_KEY! }]);
 * const stored = box.encrypt(userId, 'JBSWY3DPEHPK3PXP');
 * box.decrypt(userId, stored); // 'JBSWY3DPEHPK3PXP'
 * ```
 */
export class TotpSecretBox {
  readonly #keys = new Map<string, Buffer>();
  readonly #current: string;

  constructor(keys: readonly SecretBoxKey[]) {
    if (keys.length === 0) throw new TypeError('TotpSecretBox needs at least one key');
    for (const { id, secret } of keys) {
      if (!KEY_ID.test(id)) throw new TypeError('a key id is letters, digits, _ and -, at most 32');
      if (typeof secret !== 'string' || secret.length < 32) {
        throw new TypeError(`key ${id}: the secret must be at least 32 characters`);
      }
      if (this.#keys.has(id)) throw new TypeError(`key ${id} is given twice`);
      this.#keys.set(id, Buffer.from(hkdfSync('sha256', secret, SALT, INFO, 32)));
    }
    this.#current = keys[0]?.id ?? '';
  }

  /** The id of the key that encrypts. */
  get currentKeyId(): string {
    return this.#current;
  }

  encrypt(userId: string, plaintext: string): string {
    const key = this.#keys.get(this.#current);
    if (key === undefined) throw new TypeError('no current key');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(userId));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [FORMAT, this.#current, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /**
   * The plaintext, or `null` when the ciphertext is malformed, names an unknown key, or fails authentication
   * (tampered, or another user's). Never throws on bad input.
   */
  decrypt(userId: string, stored: string): string | null {
    const [format, keyId, ivText, bodyText, extra] = stored.split('.');
    if (format !== FORMAT || extra !== undefined || ivText === undefined || bodyText === undefined)
      return null;
    const key = this.#keys.get(keyId ?? '');
    if (key === undefined) return null;
    const iv = Buffer.from(ivText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (iv.length !== IV_BYTES || body.length <= TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(userId));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return plain.toString('utf8');
    } catch {
      return null;
    }
  }

  /** Whether `stored` was encrypted with a key other than the current one (re-encrypt it when convenient). */
  needsReencrypt(stored: string): boolean {
    return stored.split('.')[1] !== this.#current;
  }
}

const aad = (userId: string) => Buffer.from(`cloakroom-totp:${userId}`, 'utf8');
