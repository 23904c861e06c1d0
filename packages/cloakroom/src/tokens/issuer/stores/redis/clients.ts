import type { RedisClient } from '../../../../lib/redis/client.js';
import { ClientExistsError } from '../../errors.js';
import type { ClientRecord, ClientStore } from '../../types.js';
import { IssuerKeys } from './keys.js';
import { checkClient, type RedisIssuerStoreOptions } from './refresh.js';

/**
 * Registered clients on Redis: one hash (client id → JSON record) under `<prefix>clients`. Registration is
 * `HSETNX`, so an id is taken once even when two processes race. Pass the same `prefix` as the refresh
 * store's (or none).
 */
export class RedisClientStore implements ClientStore {
  readonly #client: RedisClient;
  readonly #key: string;

  constructor(client: RedisClient, options: Pick<RedisIssuerStoreOptions, 'prefix'> = {}) {
    checkClient(client);
    this.#client = client;
    this.#key = new IssuerKeys(options.prefix ?? 'cr:tokens:').clients();
  }

  async add(client: ClientRecord): Promise<void> {
    const record = JSON.stringify({
      ...client,
      scopes: [...client.scopes],
      audiences: [...client.audiences],
      resources: [...client.resources],
    });
    if ((await this.#client.hsetnx(this.#key, client.id, record)) === 0)
      throw new ClientExistsError(client.id);
  }

  async find(id: string): Promise<ClientRecord | null> {
    const record = await this.#client.hget(this.#key, id);
    return record === null ? null : parseClient(record);
  }

  async list(): Promise<ClientRecord[]> {
    const records = (await this.#client.hvals(this.#key)).map(parseClient);
    return records.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async remove(id: string): Promise<boolean> {
    return (await this.#client.hdel(this.#key, id)) > 0;
  }
}

/** Records written before `resources` existed have none: such a client cannot use token exchange. */
const parseClient = (record: string): ClientRecord => {
  const parsed = JSON.parse(record) as Omit<ClientRecord, 'resources'> & { resources?: string[] };
  return { ...parsed, resources: parsed.resources ?? [] };
};
