import type { RedisClient } from '../../../lib/redis/client.js';
import { defineScript, runScript } from '../../../lib/redis/script.js';
import type { MfaStore, PendingSignInRecord, PendingSignInStore, TotpRecord } from '../types.js';

export interface RedisMfaOptions {
  /** Prefix of every key. Default `cr:`. */
  prefix?: string;
}

// A user's keys share one hash tag, so the scripts and MULTI blocks that touch both work on a Cluster.
// TOTP hash fields: s = secret, p = pending secret, l = last step, e = enabled at.
const ENABLE = defineScript(
  'mfaEnable',
  `
if redis.call('HGET', KEYS[1], 'p') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'l', ARGV[2], 'e', ARGV[3])
redis.call('HDEL', KEYS[1], 'p')
return 1
`,
  { write: true },
);

const ACCEPT = defineScript(
  'mfaAcceptStep',
  `
local current = redis.call('HMGET', KEYS[1], 's', 'l')
if not current[1] then return 0 end
if current[2] and tonumber(current[2]) >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'l', ARGV[1])
return 1
`,
  { write: true },
);

/**
 * TOTP secrets (encrypted) and recovery codes (hashed) in Redis: a hash and a set per user. Redis must be
 * durable for this (AOF or RDB persistence): a lost key turns two-factor off for that user.
 */
export class RedisMfaStore implements MfaStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisMfaOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cr:';
  }

  async findTotp(userId: string): Promise<TotpRecord | null> {
    const fields = await this.#client.hgetall(this.#totpKey(userId));
    if (Object.keys(fields).length === 0) return null;
    const number = (value: string | undefined) => (value === undefined ? null : Number(value));
    return {
      userId,
      secret: fields.s ?? null,
      pendingSecret: fields.p ?? null,
      lastStep: number(fields.l),
      enabledAt: number(fields.e),
    };
  }

  async setPendingTotp(userId: string, pendingSecret: string): Promise<void> {
    await this.#client.hset(this.#totpKey(userId), 'p', pendingSecret);
  }

  async enableTotp(userId: string, pendingSecret: string, step: number, now: number): Promise<boolean> {
    const reply = await runScript(
      this.#client,
      ENABLE,
      [this.#totpKey(userId)],
      [pendingSecret, String(step), String(now)],
    );
    return Number(reply) === 1;
  }

  async acceptTotpStep(userId: string, step: number): Promise<boolean> {
    const reply = await runScript(this.#client, ACCEPT, [this.#totpKey(userId)], [String(step)]);
    return Number(reply) === 1;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    const removed = await this.#client.del(this.#totpKey(userId), this.#codesKey(userId));
    return removed > 0;
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[], _now: number): Promise<void> {
    const key = this.#codesKey(userId);
    const multi = this.#client.multi().del(key);
    if (hashes.length > 0) multi.sadd(key, ...hashes);
    await multi.exec();
  }

  listRecoveryCodes(userId: string): Promise<string[]> {
    return this.#client.smembers(this.#codesKey(userId));
  }

  async useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    return (await this.#client.srem(this.#codesKey(userId), hash)) === 1;
  }

  #totpKey(userId: string): string {
    return `${this.#prefix}mfa:{${userId}}:t`;
  }

  #codesKey(userId: string): string {
    return `${this.#prefix}mfa:{${userId}}:r`;
  }
}

/** Pending sign-ins in Redis: one key per token hash, expiring with the pending sign-in. */
export class RedisPendingSignInStore implements PendingSignInStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisMfaOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cr:';
  }

  async create(record: PendingSignInRecord): Promise<void> {
    const ttl = Math.max(1, record.expiresAt - record.createdAt);
    await this.#client.set(this.#key(record.hash), JSON.stringify(record), 'PX', ttl);
  }

  async find(hash: string): Promise<PendingSignInRecord | null> {
    return parse(await this.#client.get(this.#key(hash)));
  }

  /** GETDEL: of two concurrent uses, one gets the record. */
  async consume(hash: string): Promise<PendingSignInRecord | null> {
    return parse(await this.#client.getdel(this.#key(hash)));
  }

  /** Nothing to do: each key expires with its pending sign-in. */
  deleteExpired(_before: number): Promise<number> {
    return Promise.resolve(0);
  }

  #key(hash: string): string {
    return `${this.#prefix}mfp:${hash}`;
  }
}

function parse(value: string | null): PendingSignInRecord | null {
  return value === null ? null : (JSON.parse(value) as PendingSignInRecord);
}
