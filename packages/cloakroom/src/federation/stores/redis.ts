import type { RedisClient } from '../../lib/redis/client.js';
import type { FederationStateStore } from './types.js';

export interface RedisFederationOptions {
  /** Prefix of every key. Default `cr:`; the keys are `<prefix>f:<key>`. */
  prefix?: string;
}

/**
 * Federation records in Redis: each entry is a string key expiring with its record (`SET … PX … NX` to add,
 * `GETDEL` to take, so a pre-login record is used once even across processes). One key per command: any
 * Cluster slot will do. Needs Redis 6.2 or newer (GETDEL).
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

  /** Nothing to do: each key expires by itself. */
  deleteExpired(_now: number): Promise<number> {
    return Promise.resolve(0);
  }

  #key(key: string): string {
    return `${this.#prefix}f:${key}`;
  }
}
