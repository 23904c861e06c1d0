/**
 * The Redis key layout of the issuer's stores, in one place. Every script touches exactly one key, so each
 * runs on one Cluster slot by construction; the few multi-key steps (a token's pointer, the indexes) are
 * single-key commands ordered so that a failure between them leaves nothing usable half-written.
 *
 * - `<prefix>{<family id>}:f`: the family, a hash: its fields, `ra`/`rr` once revoked, and per token
 *   `t:<token id>` (created, idle end, SHA-256 of the secret) and `u:<token id>` (when it was used). The
 *   family id is the hash tag, so per-family keys added later share its slot. TTL at the family's end.
 * - `<prefix>t:<token id>`: the id of the token's family (a token id alone must lead to its family's slot).
 *   TTL at the family's end, like every key of the family, so a used token stays findable (its reuse is
 *   detected) for as long as its family exists.
 * - `<prefix>x:u:<user id>`, `x:s:<session id>`, `x:c:<client id>`: sets of family ids, for revocation by
 *   user, session or client; TTL extended to their longest family's end. Entries of deleted families are
 *   dropped when a revocation meets them.
 * - `<prefix>x:exp`: family ids scored by their end, for `deleteExpired` (Redis expires keys by itself; the
 *   sweep is for clocks other than Redis's own, and keeps the index small).
 * - `<prefix>clients`: the registered clients, one hash (few, small, read whole by `list`).
 */
export class IssuerKeys {
  readonly #prefix: string;

  constructor(prefix: string) {
    if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
      throw new TypeError('prefix must be a string without { or } (they would change the Cluster hash tag)');
    }
    this.#prefix = prefix;
  }

  family(familyId: string): string {
    return `${this.#prefix}{${familyId}}:f`;
  }

  token(tokenId: string): string {
    return `${this.#prefix}t:${tokenId}`;
  }

  byUser(userId: string): string {
    return `${this.#prefix}x:u:${userId}`;
  }

  bySession(sessionId: string): string {
    return `${this.#prefix}x:s:${sessionId}`;
  }

  byClient(clientId: string): string {
    return `${this.#prefix}x:c:${clientId}`;
  }

  expiry(): string {
    return `${this.#prefix}x:exp`;
  }

  clients(): string {
    return `${this.#prefix}clients`;
  }
}
