import type { RedisClient } from '../../../lib/redis/client.js';
import type { PasskeyRecord, PasskeyStore, PasskeyUse } from '../../passkeys/types.js';
import { toPasskey } from './row.js';

export interface RedisPasskeyOptions {
  /**
   * Prefix of every key. Default `cr:`; a passkey is the hash `<prefix>pk:<credential id>`, a user's passkeys
   * the sorted set `<prefix>pku:<user id>` (scored by creation time).
   */
  prefix?: string;
}

// Each script touches one key, so any Cluster slot will do; the user's index is kept beside it, and a stale
// id in the index (a passkey gone) is skipped when listing.
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

const RECORD_USE = `
local counter = tonumber(redis.call('HGET', KEYS[1], 'counter'))
local next = tonumber(ARGV[1])
if counter == nil then return 0 end
if not (counter < next or (counter == 0 and next == 0)) then return 0 end
redis.call('HSET', KEYS[1], 'counter', ARGV[1], 'backed_up', ARGV[2], 'last_used_at', ARGV[3])
return 1
`;

const DELETE = `
if redis.call('HGET', KEYS[1], 'user_id') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`;

type Hash = Record<string, string>;

const fromHash = (hash: Hash): PasskeyRecord | null =>
  hash.id === undefined
    ? null
    : toPasskey({
        id: hash.id,
        user_id: hash.user_id ?? '',
        public_key: hash.public_key ?? '',
        counter: hash.counter ?? '0',
        transports: hash.transports ?? '[]',
        backup_eligible: hash.backup_eligible === '1',
        backed_up: hash.backed_up === '1',
        name: hash.name ?? '',
        created_at: hash.created_at ?? '0',
        last_used_at: hash.last_used_at === undefined || hash.last_used_at === '' ? null : hash.last_used_at,
      });

/**
 * Passkeys in Redis, for a site whose accounts live there. A passkey is one hash, changed by one-key
 * scripts (a use only moves the counter forward); the user's index is a sorted set written after it.
 * Unlike the SQL stores, nothing ties a passkey to its user's row: an account deletion removes them with
 * `deleteByUser` (`AccountRecovery.deleteAccount` does, when given the site's `Passkeys`).
 *
 * @example
 * ```ts
 * const passkeys = new RedisPasskeyStore(new Redis(redisClientOptions()));
 * ```
 */
export class RedisPasskeyStore implements PasskeyStore {
  readonly #client: RedisClient;
  readonly #prefix: string;

  constructor(client: RedisClient, options: RedisPasskeyOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? 'cr:';
  }

  async create(record: PasskeyRecord): Promise<boolean> {
    const fields = [
      ['id', record.id],
      ['user_id', record.userId],
      ['public_key', record.publicKey],
      ['counter', String(record.counter)],
      ['transports', JSON.stringify(record.transports)],
      ['backup_eligible', record.backupEligible ? '1' : '0'],
      ['backed_up', record.backedUp ? '1' : '0'],
      ['name', record.name],
      ['created_at', String(record.createdAt)],
      ['last_used_at', record.lastUsedAt === null ? '' : String(record.lastUsedAt)],
    ].flat();
    const created = await this.#client.eval(CREATE, 1, this.#key(record.id), ...fields);
    if (created !== 1) return false;
    await this.#client.zadd(this.#userKey(record.userId), String(record.createdAt), record.id);
    return true;
  }

  async findById(id: string): Promise<PasskeyRecord | null> {
    return fromHash(await this.#client.hgetall(this.#key(id)));
  }

  async listByUser(userId: string): Promise<PasskeyRecord[]> {
    const ids = await this.#client.zrange(this.#userKey(userId), '0', '-1');
    const records = await Promise.all(ids.map((id) => this.findById(id)));
    return records.filter((record): record is PasskeyRecord => record !== null && record.userId === userId);
  }

  async recordUse(id: string, use: PasskeyUse): Promise<boolean> {
    const args = [String(use.counter), use.backedUp ? '1' : '0', String(use.lastUsedAt)];
    return (await this.#client.eval(RECORD_USE, 1, this.#key(id), ...args)) === 1;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const deleted = (await this.#client.eval(DELETE, 1, this.#key(id), userId)) === 1;
    if (deleted) await this.#client.zrem(this.#userKey(userId), id);
    return deleted;
  }

  async deleteByUser(userId: string): Promise<number> {
    // One script per passkey (each key its own slot on a Cluster), each deleting only a hash that is still
    // this user's; the index goes last, so a failure half-way leaves the rest listed for a retry.
    const userKey = this.#userKey(userId);
    const ids = await this.#client.zrange(userKey, '0', '-1');
    const results = await Promise.all(ids.map((id) => this.#client.eval(DELETE, 1, this.#key(id), userId)));
    await this.#client.del(userKey);
    return results.filter((result) => result === 1).length;
  }

  #key(id: string): string {
    return `${this.#prefix}pk:${id}`;
  }

  #userKey(userId: string): string {
    return `${this.#prefix}pku:${userId}`;
  }
}
