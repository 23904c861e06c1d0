import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../clock.js';
import { storeCall } from '../../lib/store-call.js';
import { RefreshRefusedError } from './errors.js';
import type {
  FamilyRevocationReason,
  FamilySelector,
  RefreshFamilyRecord,
  RefreshTokenStore,
} from './types.js';

/** What {@link RefreshTokens} is built on. */
export interface RefreshTokenOptions {
  store: RefreshTokenStore;
  clock: Clock;
  /** Unused for this long, a refresh token dies. */
  idleSeconds: number;
  /** A family's hard end after its first token, never moved by rotation. */
  absoluteSeconds: number;
  /**
   * Whether the session a family was minted from is still live (exists, not expired, same user). A family
   * never outlives its session.
   */
  isSessionLive: (sessionId: string, userId: string) => Promise<boolean>;
  /** Told when a used token comes back and its family is revoked (for the operator's log). */
  onReuse?: (family: RefreshFamilyRecord) => void;
}

/** What a refresh token was issued for. */
export interface RefreshGrant {
  userId: string;
  clientId: string;
  scope: string;
  audience: string;
  sessionId: string | null;
}

// `<id>.<secret>`: a 128-bit public id (the row key) and a 256-bit secret of which only SHA-256 is stored.
const TOKEN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const sha256 = (text: string) => createHash('sha256').update(text).digest();

function newToken(): { id: string; secret: string; value: string } {
  const id = randomBytes(16).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  return { id, secret, value: `${id}.${secret}` };
}

/**
 * Opaque refresh tokens in families (RFC 9700 §4.14.2): each use swaps the token for a successor, and a
 * token presented again after its successor exists revokes the whole family, because either the client or
 * an attacker holds a copy. Idle and absolute limits; a family minted from a session dies with it.
 *
 * @example
 * ```ts
 * const refresh = new RefreshTokens({ store, clock, idleSeconds: 7 * 86400, absoluteSeconds: 30 * 86400,
 *   isSessionLive: async (sid, userId) => (await sessions.get(sid))?.userId === userId });
 * const token = await refresh.issue({ userId, clientId: 'session', scope, audience, sessionId: sid });
 * const { grant, refreshToken } = await refresh.use(token, 'session'); // the old token is now spent
 * ```
 */
export class RefreshTokens {
  readonly #options: RefreshTokenOptions;

  constructor(options: RefreshTokenOptions) {
    this.#options = options;
  }

  /** Starts a family; resolves to its first token (shown to the client once, stored only hashed). */
  async issue(grant: RefreshGrant, options: { notAfter?: number } = {}): Promise<string> {
    const { store, clock, absoluteSeconds } = this.#options;
    const now = clock.now();
    const absoluteExpiresAt = Math.min(now + absoluteSeconds * 1000, options.notAfter ?? Infinity);
    const family: RefreshFamilyRecord = {
      id: randomBytes(16).toString('base64url'),
      ...grant,
      createdAt: now,
      absoluteExpiresAt,
      revokedAt: null,
      revokedReason: null,
    };
    const token = newToken();
    await storeCall('refresh.createFamily', () =>
      store.createFamily(family, {
        id: token.id,
        familyId: family.id,
        secretHash: sha256(token.secret),
        createdAt: now,
        expiresAt: this.#idleEnd(now, family),
        usedAt: null,
      }),
    );
    return token.value;
  }

  /**
   * Uses a refresh token: resolves to its grant and the successor token, or rejects with
   * {@link RefreshRefusedError}. `clientId` is the authenticated client (or the public client the family
   * belongs to); a token bound to another client is refused.
   */
  async use(presented: string, clientId: string): Promise<{ grant: RefreshGrant; refreshToken: string }> {
    const { store, clock } = this.#options;
    const found = await this.#find(presented);
    const { token, family } = found;
    const now = clock.now();
    if (family.revokedAt !== null) throw new RefreshRefusedError('revoked');
    if (token.usedAt !== null) {
      throw await this.#revokeForReuse(family, now);
    }
    if (family.clientId !== clientId) throw new RefreshRefusedError('client_mismatch');
    if (now >= token.expiresAt || now >= family.absoluteExpiresAt) throw new RefreshRefusedError('expired');
    if (family.sessionId !== null && !(await this.#sessionLive(family))) {
      await storeCall('refresh.revoke', () => store.revoke({ familyId: family.id }, 'session_ended', now));
      throw new RefreshRefusedError('session_ended');
    }
    const next = newToken();
    const rotated = await storeCall('refresh.rotate', () =>
      store.rotate(token.id, now, {
        id: next.id,
        familyId: family.id,
        secretHash: sha256(next.secret),
        createdAt: now,
        expiresAt: this.#idleEnd(now, family),
        usedAt: null,
      }),
    );
    if (!rotated) {
      // Another request used the same token a moment earlier: a second use all the same.
      throw await this.#revokeForReuse(family, now);
    }
    return { grant: grantOf(family), refreshToken: next.value };
  }

  /**
   * RFC 7009: revokes the family of a presented refresh token. Resolves to `false` for a token that is not
   * one of ours (the endpoint answers 200 all the same).
   */
  async revoke(presented: string, clientId: string | null): Promise<boolean> {
    let found;
    try {
      found = await this.#find(presented);
    } catch (error) {
      if (error instanceof RefreshRefusedError) return false;
      throw error;
    }
    // A confidential client may revoke only its own tokens (RFC 7009 §2.1).
    if (clientId !== null && found.family.clientId !== clientId) return false;
    const { store, clock } = this.#options;
    await storeCall('refresh.revoke', () =>
      store.revoke({ familyId: found.family.id }, 'revoked', clock.now()),
    );
    return true;
  }

  /** Revokes every matching family (signing out, a revoked session, a password change, a removed client). */
  revokeFamilies(selector: FamilySelector, reason: FamilyRevocationReason): Promise<number> {
    const { store, clock } = this.#options;
    return storeCall('refresh.revoke', () => store.revoke(selector, reason, clock.now()));
  }

  /** Deletes families past their absolute end. */
  sweepExpired(): Promise<number> {
    const { store, clock } = this.#options;
    return storeCall('refresh.deleteExpired', () => store.deleteExpired(clock.now()));
  }

  async #find(presented: string) {
    const match = TOKEN.exec(presented);
    if (match === null) throw new RefreshRefusedError('malformed');
    const [, id, secret] = match as unknown as [string, string, string];
    const found = await storeCall('refresh.find', () => this.#options.store.find(id));
    if (found === null) throw new RefreshRefusedError('unknown');
    const presentedHash = sha256(secret);
    const stored = found.token.secretHash;
    if (stored.length !== presentedHash.length || !timingSafeEqual(presentedHash, stored)) {
      throw new RefreshRefusedError('wrong_secret');
    }
    return found;
  }

  /** Revokes a reused token's family; resolves to the error to throw, which names the family. */
  async #revokeForReuse(family: RefreshFamilyRecord, now: number): Promise<RefreshRefusedError> {
    const revoked = await storeCall('refresh.revoke', () =>
      this.#options.store.revoke({ familyId: family.id }, 'reuse_detected', now),
    );
    if (revoked > 0) this.#options.onReuse?.(family);
    return new RefreshRefusedError('reused', {
      familyId: family.id,
      userId: family.userId,
      clientId: family.clientId,
      sessionId: family.sessionId,
      revoked: revoked > 0,
    });
  }

  async #sessionLive(family: RefreshFamilyRecord): Promise<boolean> {
    if (family.sessionId === null) return true;
    return this.#options.isSessionLive(family.sessionId, family.userId);
  }

  #idleEnd(now: number, family: RefreshFamilyRecord): number {
    return Math.min(now + this.#options.idleSeconds * 1000, family.absoluteExpiresAt);
  }
}

const grantOf = (family: RefreshFamilyRecord): RefreshGrant => ({
  userId: family.userId,
  clientId: family.clientId,
  scope: family.scope,
  audience: family.audience,
  sessionId: family.sessionId,
});
