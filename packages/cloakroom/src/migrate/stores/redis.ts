import type { RedisClient } from '../../lib/redis/client.js';
import type { MigrationStore } from '../types.js';

/**
 * The migration store on Redis (or a Redis Cluster): each exchanged credential is a key that expires with
 * the credential (`SET NX PX`), the counters one hash.
 *
 * @example
 * ```ts
 * const store = new RedisMigrationStore(client, { prefix: 'myapp:migrate:' });
 * ```
 */
export class RedisMigrationStore implements MigrationStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: { prefix?: string } = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cloakroom:migrate:';
  }

  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const ttl = Math.max(1, Math.ceil(expiresAt - now));
    const answer = await this.#client.set(`${this.#prefix}claim:${key}`, '1', 'PX', ttl, 'NX');
    return answer === 'OK';
  }

  async increment(counter: string): Promise<void> {
    await this.#client.hincrby(`${this.#prefix}counters`, counter, 1);
  }

  async counters(): Promise<Record<string, number>> {
    const all = await this.#client.hgetall(`${this.#prefix}counters`);
    return Object.fromEntries(Object.entries(all).map(([name, value]) => [name, Number(value)]));
  }
}
