/**
 * What the issuer keeps: refresh-token families and registered service clients, behind two small store
 * contracts (`null` means "not found"; a failure rejects, and the issuer turns it into `store_unavailable`).
 * Keep them in a durable database (SQLite, PostgreSQL, or Redis with persistence), never in a cache that
 * could evict them: losing a family's "revoked for reuse" mark would let a stolen refresh token work again.
 *
 * Invariants every store keeps (the conformance suite checks them):
 * - `rotate` is atomic: of any number of concurrent rotations of one token, from any number of processes,
 *   exactly one resolves `true`.
 * - `revoke` only sets `revokedAt`/`revokedReason` on families not revoked yet, and never un-revokes.
 * - A family's tokens live as long as the family: a used token stays findable (with its `usedAt`) until
 *   the family is deleted, so its reuse is detected.
 * - Records are never mutated once handed to or returned by a store.
 */

/** Why a refresh-token family was revoked; recorded with the time, kept until the family is swept. */
export type FamilyRevocationReason =
  /** A used token came back (RFC 9700 §4.14.2). */
  | 'reuse_detected'
  /** Revoked through `/oauth/revoke`. */
  | 'revoked'
  /** Its session ended: signed out, revoked, expired, or rotated after a password change. */
  | 'session_ended'
  /** All (or all other) sessions of its user were ended: sign out everywhere, a password change. */
  | 'user_sessions_ended';

/** One chain of refresh tokens from one grant: every rotation adds a token to it. Times in ms. */
export interface RefreshFamilyRecord {
  readonly id: string;
  readonly userId: string;
  readonly clientId: string;
  /** Space-separated scope the family grants (never widened by a refresh). */
  readonly scope: string;
  readonly audience: string;
  /** The session the family was minted from, or `null`. */
  readonly sessionId: string | null;
  readonly createdAt: number;
  /** The family's hard end, which rotation never moves. */
  readonly absoluteExpiresAt: number;
  readonly revokedAt: number | null;
  readonly revokedReason: FamilyRevocationReason | null;
}

/** One refresh token: its public id and the SHA-256 of its secret (the secret itself is never stored). */
export interface RefreshTokenRecord {
  readonly id: string;
  readonly familyId: string;
  readonly secretHash: Uint8Array;
  readonly createdAt: number;
  /** Idle end: unused past this, the token is dead. Never past the family's absolute end. */
  readonly expiresAt: number;
  /** When it was exchanged for its successor; a token with `usedAt` presented again is a reuse. */
  readonly usedAt: number | null;
}

/**
 * Which families a bulk revocation ends: one family, a session's, a user's (all, or all but one session's;
 * families minted without a session count as "other"), or a client's.
 */
export type FamilySelector =
  | { sessionId: string }
  | { userId: string; exceptSessionId?: string }
  | { familyId: string }
  | { clientId: string };

/** Refresh-token families; `null` means "not found", a failure rejects. */
export interface RefreshTokenStore {
  /** Stores a new family with its first token. */
  createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void>;
  /** The token and its family, or `null`. */
  find(tokenId: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null>;
  /**
   * Atomically marks `usedId` as used at `now` (only if it was unused) and stores `next`, its successor.
   * Resolves to `false`, storing nothing, when `usedId` was already used (a concurrent or repeated use).
   */
  rotate(usedId: string, now: number, next: RefreshTokenRecord): Promise<boolean>;
  /** Revokes the selected families that are not revoked yet; resolves to how many it revoked. */
  revoke(selector: FamilySelector, reason: FamilyRevocationReason, now: number): Promise<number>;
  /** Deletes families (and their tokens) whose absolute end is at or before `before`. */
  deleteExpired(before: number): Promise<number>;
}

/** A registered service client (RFC 6749 confidential client). */
export interface ClientRecord {
  readonly id: string;
  /** Versioned hash of the client secret, e.g. `sha256:<base64url>`. */
  readonly secretHash: string;
  /** Scopes the client may obtain (client credentials) or keep (token exchange). */
  readonly scopes: readonly string[];
  /** Audiences the client may obtain tokens for. */
  readonly audiences: readonly string[];
  /**
   * Audiences the client itself serves (it is the resource server behind them): in a token exchange it may
   * present only a subject token whose `aud` names one of them, i.e. a token that was given to it (RFC 8693
   * §2.1: the subject token is one the client received). Empty: the client cannot use token exchange.
   */
  readonly resources: readonly string[];
  readonly createdAt: number;
}

/** Registered clients; `null` means "not found". */
export interface ClientStore {
  /** Registers a client; rejects with `ClientExistsError` (code `client_exists`) when the id is taken. */
  add(client: ClientRecord): Promise<void>;
  find(id: string): Promise<ClientRecord | null>;
  /** Every registered client, ordered by id. */
  list(): Promise<ClientRecord[]>;
  /** Resolves to whether a client was removed. */
  remove(id: string): Promise<boolean>;
}
