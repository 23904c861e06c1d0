import type { RedisClient } from '../../lib/redis/client.js';
import type { FederationStateStore } from './types.js';

export interface RedisFederationOptions {
  /** Prefix of every key. Default `cr:`; the keys are `<prefix>f:<key>`, and `<prefix>fs:<key>` for sets. */
  prefix?: string;
}

// A set is a sorted set scored by each member's expiry (ms since the epoch); the key lives as long as its
// longest-lived member. ZADD GT keeps the later expiry of a member added twice (Redis 6.2).
const ADD_MEMBER = `
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
local ttl = top[2] and (tonumber(top[2]) - tonumber(ARGV[3])) or 0
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], math.ceil(ttl)) else redis.call('DEL', KEYS[1]) end
return 0
`;

// Members still live at ARGV[1], and the set is gone: one script, so two takes never share a member.
const TAKE_MEMBERS = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')
redis.call('DEL', KEYS[1])
return members
`;

/**
 * Federation records in Redis: each entry is a string key expiring with its record (`SET … PX … NX` to add,
 * `GETDEL` to take, so a pre-login record is used once even across processes); each set a sorted set scored
 * by expiry. One key per command or script: any Cluster slot will do. Needs Redis 6.2 or newer (GETDEL,
 * ZADD GT).
 *
 * @example
 * ```ts
 * const state = new RedisFederationStateStore(new Redis(redisClientOptions()));
 * ```
 */
export class RedisFederationStateStore implements FederationStateStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisFederationOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cr:';
  }

  async add(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    const ttl = expiresAt - now;
    if (ttl <= 0) return true; // already expired: as good as stored and gone
    const reply = await this.#client.set(this.#key(key), value, 'PX', Math.ceil(ttl), 'NX');
    return reply === 'OK';
  }

  async put(key: string, value: string, expiresAt: number, now: number): Promise<void> {
    const ttl = Math.ceil(expiresAt - now);
    if (ttl <= 0) {
      await this.#client.del(this.#key(key));
      return;
    }
    await this.#client.set(this.#key(key), value, 'PX', ttl);
  }

  take(key: string, _now: number): Promise<string | null> {
    // Redis expires the key itself, so a key that is still there is live.
    return this.#client.getdel(this.#key(key));
  }

  async addMember(key: string, member: string, expiresAt: number, now: number): Promise<void> {
    await this.#client.eval(ADD_MEMBER, 1, this.#setKey(key), member, String(expiresAt), String(now));
  }

  async takeMembers(key: string, now: number): Promise<string[]> {
    const reply = await this.#client.eval(TAKE_MEMBERS, 1, this.#setKey(key), String(now));
    return Array.isArray(reply) ? reply.filter((member): member is string => typeof member === 'string') : [];
  }

  /** Nothing to do: each key expires by itself (and a set drops its expired members when added to). */
  deleteExpired(_now: number): Promise<number> {
    return Promise.resolve(0);
  }

  #key(key: string): string {
    return `${this.#prefix}f:${key}`;
  }

  #setKey(key: string): string {
    return `${this.#prefix}fs:${key}`;
  }
}
