import { systemClock, type Clock } from '../../../../clock.js';
import { runScript, type RedisClient } from '../../../../stores/redis/client.js';
import type {
  FamilyRevocationReason,
  FamilySelector,
  RefreshFamilyRecord,
  RefreshTokenRecord,
  RefreshTokenStore,
} from '../../types.js';
import { IssuerKeys } from './keys.js';
import * as scripts from './scripts.js';

/** Options of {@link RedisRefreshTokenStore} and {@link RedisClientStore}. */
export interface RedisIssuerStoreOptions {
  /** Prefix of every key. Default `cr:tokens:`. Must not contain `{` or `}`. */
  prefix?: string;
  /** Time source for TTLs (the records' times come from the issuer's clock: pass the same one). */
  clock?: Clock;
}

/** The family fields as stored (short names: a family hash is read on every refresh). */
const FIELDS = ['u', 'c', 'sc', 'a', 's', 'ca', 'ae', 'ra', 'rr'] as const;

/**
 * Refresh-token families on Redis (or Valkey), single server or Cluster, through an ioredis client you
 * create and own (see `redisClientOptions` in `cloakroom/stores/redis`: bounded timeouts, no offline queue).
 * Rotation and revocation are one script on one key (the family's hash), so two processes can never both
 * rotate one token; every key of a family expires with it (Redis TTL). Keys: see `keys.ts`.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisClientOptions } from 'cloakroom/stores/redis';
 * import { RedisClientStore, RedisRefreshTokenStore } from 'cloakroom/tokens/issuer/redis';
 * const client = new Redis({ host: 'redis.internal', ...redisClientOptions() });
 * const refresh = new RedisRefreshTokenStore(client);
 * const clients = new RedisClientStore(client);
 * ```
 */
export class RedisRefreshTokenStore implements RefreshTokenStore {
  readonly #client: RedisClient;
  readonly #keys: IssuerKeys;
  readonly #clock: Clock;

  constructor(client: RedisClient, options: RedisIssuerStoreOptions = {}) {
    checkClient(client);
    this.#client = client;
    this.#keys = new IssuerKeys(options.prefix ?? 'cr:tokens:');
    this.#clock = options.clock ?? systemClock;
  }

  async createFamily(family: RefreshFamilyRecord, first: RefreshTokenRecord): Promise<void> {
    const keys = this.#keys;
    const ttl = this.#ttl(family.absoluteExpiresAt);
    // Indexes first: a family that exists is always reachable by its user, session and client.
    const indexes = [keys.byUser(family.userId), keys.byClient(family.clientId)];
    if (family.sessionId !== null) indexes.push(keys.bySession(family.sessionId));
    await Promise.all([
      ...indexes.map((key) => runScript(this.#client, scripts.addToIndex, [key], [family.id, ttl])),
      this.#client.zadd(keys.expiry(), family.absoluteExpiresAt, family.id),
      this.#client.set(keys.token(first.id), family.id, 'PX', ttl),
    ]);
    const fields: string[] = [
      'u',
      family.userId,
      'c',
      family.clientId,
      'sc',
      family.scope,
      'a',
      family.audience,
      'ca',
      String(family.createdAt),
      'ae',
      String(family.absoluteExpiresAt),
      `t:${first.id}`,
      packToken(first),
    ];
    if (family.sessionId !== null) fields.push('s', family.sessionId);
    if (family.revokedAt !== null)
      fields.push('ra', String(family.revokedAt), 'rr', family.revokedReason ?? '');
    const created = await runScript(
      this.#client,
      scripts.createFamily,
      [keys.family(family.id)],
      [ttl, ...fields],
    );
    if (created !== 1) throw new Error('a refresh family with this id already exists');
  }

  async find(tokenId: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    const familyId = await this.#client.get(this.#keys.token(tokenId));
    if (familyId === null) return null;
    const values = await this.#client.hmget(
      this.#keys.family(familyId),
      ...FIELDS,
      `t:${tokenId}`,
      `u:${tokenId}`,
    );
    const [userId, clientId, scope, audience, sessionId, createdAt, ends, revokedAt, reason, packed, usedAt] =
      values;
    if (userId == null || clientId == null || scope == null || audience == null || packed == null)
      return null;
    const family: RefreshFamilyRecord = {
      id: familyId,
      userId,
      clientId,
      scope,
      audience,
      sessionId: sessionId ?? null,
      createdAt: Number(createdAt),
      absoluteExpiresAt: Number(ends),
      revokedAt: revokedAt == null ? null : Number(revokedAt),
      revokedReason: revokedAt == null ? null : (reason as FamilyRevocationReason),
    };
    return { token: unpackToken(tokenId, familyId, packed, usedAt ?? null), family };
  }

  async rotate(usedId: string, now: number, next: RefreshTokenRecord): Promise<boolean> {
    const usedKey = this.#keys.token(usedId);
    // The used token's pointer lives as long as its family: its remaining time is the successor's.
    const [familyId, ttl] = await Promise.all([this.#client.get(usedKey), this.#client.pttl(usedKey)]);
    if (familyId === null || familyId !== next.familyId || ttl <= 0) return false;
    // The successor's pointer before the rotation: once the client holds the new token it can be found.
    // If the rotation then loses, the pointer leads to a family without that token (found as nothing).
    const nextKey = this.#keys.token(next.id);
    await this.#client.set(nextKey, familyId, 'PX', ttl);
    const rotated = await runScript(
      this.#client,
      scripts.rotate,
      [this.#keys.family(familyId)],
      [usedId, String(now), next.id, packToken(next)],
    );
    if (rotated === 1) return true;
    await this.#client.del(nextKey);
    return false;
  }

  async revoke(selector: FamilySelector, reason: FamilyRevocationReason, now: number): Promise<number> {
    const keys = this.#keys;
    if ('familyId' in selector) {
      return (await this.#revokeFamily(selector.familyId, reason, now, '')) === 1 ? 1 : 0;
    }
    let index: string;
    let spare = '';
    if ('sessionId' in selector) index = keys.bySession(selector.sessionId);
    else if ('clientId' in selector) index = keys.byClient(selector.clientId);
    else {
      index = keys.byUser(selector.userId);
      spare = selector.exceptSessionId ?? '';
    }
    const familyIds = await this.#client.smembers(index);
    const results = await Promise.all(
      familyIds.map((familyId) => this.#revokeFamily(familyId, reason, now, spare)),
    );
    const gone = familyIds.filter((_, i) => results[i] === -1);
    if (gone.length > 0) await this.#client.srem(index, ...gone);
    return results.filter((result) => result === 1).length;
  }

  async deleteExpired(before: number): Promise<number> {
    const keys = this.#keys;
    let deleted = 0;
    for (;;) {
      const familyIds = await this.#client.zrangebyscore(keys.expiry(), '-inf', before, 'LIMIT', 0, 500);
      if (familyIds.length === 0) return deleted;
      for (const familyId of familyIds) {
        const result = (await runScript(
          this.#client,
          scripts.dropExpired,
          [keys.family(familyId)],
          [String(before)],
        )) as (number | Buffer)[];
        if (result[0] === 0) continue; // ends later after all (re-created): keep it and its score
        if (result[0] === 1) {
          deleted += 1;
          const tokenIds = result.slice(1).map(String);
          await Promise.all(tokenIds.map((tokenId) => this.#client.del(keys.token(tokenId))));
        }
        await this.#client.zrem(keys.expiry(), familyId);
      }
    }
  }

  async #revokeFamily(familyId: string, reason: FamilyRevocationReason, now: number, spare: string) {
    return (await runScript(
      this.#client,
      scripts.revoke,
      [this.#keys.family(familyId)],
      [String(now), reason, spare],
    )) as number;
  }

  /** Milliseconds until `end` by the store's clock; at least 1 (an ended family is kept for an instant). */
  #ttl(end: number): string {
    return String(Math.max(1, Math.ceil(end - this.#clock.now())));
  }
}

/** A token as its family hash holds it: `<createdAt>:<expiresAt>:<base64url SHA-256 of the secret>`. */
function packToken(token: RefreshTokenRecord): string {
  return `${token.createdAt}:${token.expiresAt}:${Buffer.from(token.secretHash).toString('base64url')}`;
}

function unpackToken(
  id: string,
  familyId: string,
  packed: string,
  usedAt: string | null,
): RefreshTokenRecord {
  const [createdAt, expiresAt, hash] = packed.split(':');
  return {
    id,
    familyId,
    secretHash: new Uint8Array(Buffer.from(hash ?? '', 'base64url')),
    createdAt: Number(createdAt),
    expiresAt: Number(expiresAt),
    usedAt: usedAt === null ? null : Number(usedAt),
  };
}

/** A Cluster client reading from replicas could miss a revocation or a rotation that just happened. */
export function checkClient(client: RedisClient): void {
  const options = client.options as { scaleReads?: unknown };
  if (client.isCluster && (options.scaleReads ?? 'master') !== 'master') {
    throw new TypeError("a Cluster client must read from masters (scaleReads: 'master'): a replica may lag");
  }
}
