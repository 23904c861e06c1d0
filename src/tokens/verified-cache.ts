import { hash, timingSafeEqual } from 'node:crypto';
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
 * Keying. A JWS signature covers the exact ASCII of `header.payload` as sent, so those two segments are part of
 * the key verbatim (re-encoding them changes what was signed, and jose would refuse the result; the cache must not
 * be more lenient than jose). The signature segment is different: base64url's spare low bits in its last character
 * let several spellings decode to the same signature bytes, and jose accepts all of them. So the key is a SHA-256
 * of `header.payload` and the entry holds the *decoded* signature: every spelling of one token shares one entry,
 * and entries are small whatever the token's size.
 *
 * On a hit the stored signature is compared with the presented one in constant time. The header and payload of a
 * token are not secret (anyone who has seen the token, or a log of its claims, knows them), so a lookup by them
 * succeeds for an attacker too; the signature is what makes the token a credential. A short-circuiting comparison
 * would leak, through timing, how many leading bytes of a guessed signature are right — a byte-by-byte oracle for a
 * live token. A mismatch is a miss: the token goes through full verification (a different but valid signature over
 * the same content, as ECDSA allows, still verifies there).
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
    const key = keyOf(signingInput);
    const entry = this.#lru.get(key);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#lru.delete(key);
      return undefined;
    }
    if (entry.signature.length !== signature.length || !timingSafeEqual(entry.signature, signature))
      return undefined;
    return entry.value;
  }

  set(signingInput: string, signature: Buffer, expiresAt: number, value: T): void {
    this.#lru.set(keyOf(signingInput), { signature, expiresAt, value });
  }

  clear(): void {
    this.#lru.clear();
  }
}

function keyOf(signingInput: string): string {
  return hash('sha256', signingInput, 'base64url');
}
