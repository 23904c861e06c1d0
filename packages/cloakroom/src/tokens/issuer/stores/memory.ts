import { ClientExistsError } from '../errors.js';
import type {
  ClientRecord,
  ClientStore,
  FamilyRevocationReason,
  FamilySelector,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../types.js';

/**
 * Refresh-token families in process memory: for tests, development and single-process issuers that accept
 * that a restart signs every client out. Each method runs to completion before another starts (one
 * event loop), so rotation is atomic without locks. Nothing is evicted: {@link deleteExpired} sweeps.
 *
 * @example
 * ```ts
 * const refresh = new MemoryRefreshTokenStore();
 * const clients = new MemoryClientStore();
 * ```
 */
export class MemoryRefreshTokenStore implements RefreshTokenStore {
  readonly #families = new Map<string, RefreshFamilyRecord>();
  readonly #tokens = new Map<string, RefreshTokenRecord>();
  /** Token ids per family, so a sweep removes a family's tokens with it. */
  readonly #familyTokens = new Map<string, Set<string>>();

  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    if (this.#families.has(family.id) || this.#tokens.has(first.id)) {
      return Promise.reject(new Error('refresh family or token id already exists'));
    }
    this.#families.set(family.id, { ...family });
    this.#familyTokens.set(family.id, new Set());
    this.#addToken(first);
    return Promise.resolve();
  }

  find(tokenId: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    const token = this.#tokens.get(tokenId);
    const family = token === undefined ? undefined : this.#families.get(token.familyId);
    if (token === undefined || family === undefined) return Promise.resolve(null);
    return Promise.resolve({ token: { ...token, secretHash: token.secretHash.slice() }, family });
  }

  rotate(usedId: string, now: number, next: RefreshTokenRecord): Promise<boolean> {
    const used = this.#tokens.get(usedId);
    if (used === undefined || used.usedAt !== null || !this.#families.has(used.familyId)) {
      return Promise.resolve(false);
    }
    this.#tokens.set(usedId, { ...used, usedAt: now });
    this.#addToken(next);
    return Promise.resolve(true);
  }

  revoke(selector: FamilySelector, reason: FamilyRevocationReason, now: number): Promise<number> {
    let revoked = 0;
    for (const family of this.#families.values()) {
      if (family.revokedAt !== null || !selects(selector, family)) continue;
      this.#families.set(family.id, { ...family, revokedAt: now, revokedReason: reason });
      revoked += 1;
    }
    return Promise.resolve(revoked);
  }

  deleteExpired(before: number): Promise<number> {
    let deleted = 0;
    for (const family of this.#families.values()) {
      if (family.absoluteExpiresAt > before) continue;
      for (const id of this.#familyTokens.get(family.id) ?? []) this.#tokens.delete(id);
      this.#familyTokens.delete(family.id);
      this.#families.delete(family.id);
      deleted += 1;
    }
    return Promise.resolve(deleted);
  }

  #addToken(token: RefreshTokenRecord): void {
    this.#tokens.set(token.id, { ...token, secretHash: token.secretHash.slice() });
    this.#familyTokens.get(token.familyId)?.add(token.id);
  }
}

/** Whether `family` is one the selector names (a scan: fine for the in-memory store's sizes). */
function selects(selector: FamilySelector, family: RefreshFamilyRecord): boolean {
  if ('familyId' in selector) return family.id === selector.familyId;
  if ('sessionId' in selector) return family.sessionId === selector.sessionId;
  if ('clientId' in selector) return family.clientId === selector.clientId;
  if (family.userId !== selector.userId) return false;
  return selector.exceptSessionId === undefined || family.sessionId !== selector.exceptSessionId;
}

/** Registered clients in process memory. */
export class MemoryClientStore implements ClientStore {
  readonly #clients = new Map<string, ClientRecord>();

  add(client: ClientRecord): Promise<void> {
    if (this.#clients.has(client.id)) return Promise.reject(new ClientExistsError(client.id));
    this.#clients.set(client.id, {
      ...client,
      scopes: [...client.scopes],
      audiences: [...client.audiences],
      resources: [...client.resources],
    });
    return Promise.resolve();
  }

  find(id: string): Promise<ClientRecord | null> {
    return Promise.resolve(this.#clients.get(id) ?? null);
  }

  list(): Promise<ClientRecord[]> {
    const clients = [...this.#clients.values()];
    return Promise.resolve(clients.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)));
  }

  remove(id: string): Promise<boolean> {
    return Promise.resolve(this.#clients.delete(id));
  }
}
