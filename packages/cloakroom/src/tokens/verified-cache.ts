import { timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';

interface Entry<T> {
  signature: Buffer;
  /** Milliseconds since the epoch; the entry is unusable from then on. */
  expiresAt: number;
  value: T;
}

/**
 * Tokens that passed full verification, so the next presentation of the same token skips the signature check.
 *
 * Keying. A JWS signature covers the exact ASCII of `header.payload` as sent, so that text is the key verbatim
 * (re-encoding those segments changes what was signed, and jose would refuse the result: the cache must never be
 * more lenient than a full verification). The signature segment is different: base64url's spare low bits in its
 * last character let several spellings decode to the same signature bytes, and jose accepts all of them. So the
 * entry holds the *decoded* signature, and every spelling of one token shares one entry.
 *
 * The key is the text itself, not a SHA-256 of it: it is not secret (anyone who saw the token, or a log of its
 * claims, knows it), only tokens that verified are ever inserted (an attacker cannot fill the cache), the LRU
 * bounds the count, and the map's own string hashing costs a fraction of a SHA-256. Memory is the price: an entry
 * holds the token's first two segments (about 400 bytes for our access tokens).
 *
 * On a hit the stored signature is compared with the presented one in constant time. Because the header and
 * payload are not secret, a lookup by them succeeds for an attacker too; the signature is what makes the token a
 * credential, and a short-circuiting comparison would leak, through timing, how many leading bytes of a guessed
 * signature are right — a byte-by-byte oracle for a live token. A mismatch is a miss: the token goes through full
 * verification (a different but valid signature over the same content, as ECDSA allows, still verifies there).
 *
 * Entries expire at the token's `exp` (or earlier, when the maximum token age ends first), checked against the
 * injected clock on every hit; the LRU bounds the count.
 */
export class VerifiedTokenCache<T> {
  readonly #lru: LRUCache<string, Entry<T>>;

  constructor(max: number) {
    this.#lru = new LRUCache({ max });
  }

  get size(): number {
    return this.#lru.size;
  }

  get(signingInput: string, signature: Buffer, now: number): T | undefined {
    const entry = this.#lru.get(signingInput);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#lru.delete(signingInput);
      return undefined;
    }
    if (entry.signature.length !== signature.length || !timingSafeEqual(entry.signature, signature))
      return undefined;
    return entry.value;
  }

  set(signingInput: string, signature: Buffer, expiresAt: number, value: T): void {
    this.#lru.set(signingInput, { signature, expiresAt, value });
  }

  clear(): void {
    this.#lru.clear();
  }
}
