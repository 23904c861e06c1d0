import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../../clock.js';
import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
  UserSnapshotOptions,
} from '../types.js';
import { runScript, type RedisClient } from './client.js';
import { KeyLayout } from './keys.js';
import { decodeRecord, encodeRecord, integer, text } from './record.js';
import * as scripts from './scripts.js';
import { sweepExpired } from './sweep.js';

/** User snapshots kept in Redis beside the sessions, so a validation reads session and user together. */
/** Snapshot options; the same for every remote store. */
export type RedisUserSnapshots<U> = UserSnapshotOptions<U>;

export interface RedisStoreOptions<U> {
  /** Prefix of every key. Default `cr:`. Must not contain `{` or `}`. */
  prefix?: string;
  /**
   * Keep a snapshot of each user in Redis (written by `setUser`, removed by `deleteUser`) and return it with
   * the session, from the same script. A session whose snapshot is missing gets `loadUser`'s answer if
   * `loadUser` is given, else no user (the session layer then refuses it as `user_not_found`).
   */
  users?: RedisUserSnapshots<U> | true;
  /** Where the user comes from without snapshots (or when one is missing). Default: `{ id: userId }`. */
  loadUser?: (userId: string) => U | null | Promise<U | null>;
  /** Session-id-to-user pointers cached in this process (they never change). Default 100,000; 0: none. */
  pointerCacheSize?: number;
  /**
   * The longest the store waits for any one Redis reply before failing, whatever the client's own
   * settings (a client with an unbounded offline queue would otherwise wait for ever). Default 2,000 ms.
   */
  timeoutMs?: number;
  /** Keys per SCAN step and sessions per script when sweeping. Default 1,000. */
  sweepBatchSize?: number;
  /** Time source for TTLs, shared with the session manager in tests. */
  clock?: Clock;
}

/**
 * A store on Redis (or Valkey), single server or Cluster, through an ioredis client you create and own
 * (see `redisClientOptions`). Keys follow `keys.ts`: everything of one user shares a Cluster slot, creation,
 * rotation and revoke-all are atomic scripts, expiry is Redis TTLs, and no request runs KEYS or SCAN.
 *
 * @example
 * ```ts
 * const client = new Redis({ host: 'redis.internal', ...redisClientOptions() });
 * const store = new RedisStore<AppUser>(client, { users: true });
 * await store.setUser('u-1', { id: 'u-1', email: 'ada@example.com' }); // at sign-up and on every change
 * ```
 */
export class RedisStore<U = SessionUser> implements SessionStore<U>, SessionIndex {
  readonly index: SessionIndex = this;
  readonly #client: RedisClient;
  readonly #keys: KeyLayout;
  readonly #clock: Clock;
  readonly #loadUser: ((userId: string) => U | null | Promise<U | null>) | null;
  readonly #snapshots: Snapshots<U> | null;
  readonly #pointers: LRUCache<string, string> | null;
  readonly #timeoutMs: number;
  readonly #sweepBatchSize: number;

  constructor(client: RedisClient, options: RedisStoreOptions<U> = {}) {
    // ioredis's `keyPrefix` prefixes KEYS but not the session-key prefix scripts get in ARGV, nor what SCAN
    // returns: listing would see no session and revoke-all would remove none. The store's `prefix` does it.
    const clientOptions = client.options as {
      keyPrefix?: unknown;
      redisOptions?: { keyPrefix?: unknown };
      scaleReads?: unknown;
    };
    if (clientOptions.keyPrefix || clientOptions.redisOptions?.keyPrefix) {
      throw new TypeError("the client's keyPrefix is not supported: use the store's `prefix` option");
    }
    // A Cluster reading from replicas could return a session or pointer a revocation has just removed.
    if (client.isCluster && (clientOptions.scaleReads ?? 'master') !== 'master') {
      throw new TypeError(
        "a Cluster client must read from masters (scaleReads: 'master'): a replica may lag",
      );
    }
    this.#client = client;
    this.#keys = new KeyLayout(options.prefix ?? 'cr:');
    this.#clock = options.clock ?? systemClock;
    const users = options.users === true ? {} : options.users;
    this.#snapshots =
      users === undefined
        ? null
        : {
            serialize: users.serialize ?? ((user) => JSON.stringify(user)),
            parse: users.parse ?? ((value) => JSON.parse(value) as U),
          };
    this.#loadUser =
      options.loadUser ?? (this.#snapshots === null ? (userId) => ({ id: userId }) as U : null);
    const cacheSize = options.pointerCacheSize ?? 100_000;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new TypeError('pointerCacheSize must be a non-negative integer');
    }
    this.#pointers = cacheSize === 0 ? null : new LRUCache({ max: cacheSize });
    this.#timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isFinite(this.#timeoutMs) || this.#timeoutMs <= 0) {
      throw new TypeError('timeoutMs must be a positive number');
    }
    this.#sweepBatchSize = options.sweepBatchSize ?? 1000;
    if (!Number.isInteger(this.#sweepBatchSize) || this.#sweepBatchSize < 1) {
      throw new TypeError('sweepBatchSize must be a positive integer');
    }
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    const cached = this.#pointers?.get(id);
    if (cached !== undefined) {
      const found = await this.#read(id, cached);
      if (found !== null) return found;
      // Gone, or (never in practice) the id now belongs to someone else: ask the pointer itself.
      this.#pointers?.delete(id);
    }
    const owner = await this.#fetchOwner(id);
    if (owner === null || owner === cached) return null;
    return this.#read(id, owner);
  }

  async create(session: SessionRecord): Promise<void> {
    const { id, userId } = session;
    const fields = encodeRecord(session);
    const ttl = this.#ttl(session.expiresAt);
    await this.#claimPointer(session);
    let created: unknown;
    try {
      created = await this.#run(
        scripts.create,
        [this.#keys.session(userId, id), this.#keys.index(userId)],
        [ttl, id, integer(session.expiresAt, 'expiresAt'), ...fields],
      );
    } catch (error) {
      this.#dropPointers([id]);
      throw error;
    }
    if (created !== 1) throw new Error('session id already exists');
    this.#pointers?.set(id, userId);
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    const owner = await this.#owner(id);
    if (owner === null) return false;
    const touched = await this.#run(
      scripts.touch,
      [this.#keys.session(owner, id), this.#keys.index(owner)],
      [
        integer(touch.version, 'version'),
        integer(touch.lastSeenAt, 'lastSeenAt'),
        integer(touch.expiresAt, 'expiresAt'),
        this.#ttl(touch.expiresAt),
        id,
      ],
    );
    return touched === 1;
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const owner = await this.#owner(id);
    if (owner === null) return false;
    if (owner !== next.userId) throw new TypeError("replace keeps the session's user");
    const fields = encodeRecord(next);
    await this.#claimPointer(next);
    let replaced: unknown;
    try {
      replaced = await this.#run(
        scripts.replace,
        [this.#keys.session(owner, id), this.#keys.session(owner, next.id), this.#keys.index(owner)],
        [
          integer(version, 'version'),
          id,
          next.id,
          this.#ttl(next.expiresAt),
          integer(next.expiresAt, 'expiresAt'),
          ...fields,
        ],
      );
    } catch (error) {
      this.#dropPointers([next.id]);
      throw error;
    }
    if (replaced !== 1) {
      this.#dropPointers([next.id]);
      if (replaced === -1) throw new Error('session id already exists');
      return false;
    }
    this.#pointers?.set(next.id, owner);
    this.#dropPointers([id]);
    return true;
  }

  async delete(id: string): Promise<void> {
    const owner = await this.#owner(id);
    if (owner === null) return;
    await this.#run(scripts.remove, [this.#keys.session(owner, id), this.#keys.index(owner)], [id]);
    this.#dropPointers([id]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const reply = await this.#run(
      scripts.list,
      [this.#keys.index(userId)],
      [this.#keys.sessionPrefix(userId)],
    );
    const [gone, ...items] = asArray(reply);
    this.#dropPointers(asArray(gone).map(text));
    const sessions: SessionRecord[] = [];
    for (let i = 0; i + 1 < items.length; i += 2) {
      const record = decodeRecord(text(items[i]), userId, items[i + 1]);
      if (record !== null) sessions.push(record);
    }
    return sessions;
  }

  async deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    const args = [this.#keys.sessionPrefix(userId)];
    if (options.except !== undefined) args.push(options.except);
    const [removed, ...ids] = asArray(await this.#run(scripts.removeUser, [this.#keys.index(userId)], args));
    this.#dropPointers(ids.map(text));
    return Number(removed);
  }

  deleteExpired(now: number): Promise<number> {
    return sweepExpired({
      client: this.#client,
      keys: this.#keys,
      now: integer(now, 'now'),
      batchSize: this.#sweepBatchSize,
      bound: (call) => this.#bounded(call),
      dropPointers: (ids) => {
        this.#dropPointers(ids);
      },
    });
  }

  /**
   * Stores (or replaces) the user's snapshot, read beside their sessions from then on. Call it when the user
   * is created and whenever a field the snapshot holds changes. Requires the `users` option.
   */
  async setUser(userId: string, user: U): Promise<void> {
    const snapshots = this.#requireSnapshots();
    await this.#bounded(() => this.#client.set(this.#keys.user(userId), snapshots.serialize(user)));
  }

  /** Removes the user's snapshot: their sessions then validate as `user_not_found`. Requires `users`. */
  async deleteUser(userId: string): Promise<void> {
    this.#requireSnapshots();
    await this.#bounded(() => this.#client.del(this.#keys.user(userId)));
  }

  /** The session and its user, from the user's slot: one command (or one script with snapshots). */
  async #read(id: string, owner: string): Promise<StoredSession<U> | null> {
    const sessionKey = this.#keys.session(owner, id);
    if (this.#snapshots === null) {
      const fields = await this.#bounded(() => this.#client.hgetallBuffer(sessionKey));
      const session = decodeRecord(id, owner, fields);
      return session === null ? null : { session, user: await this.#fallbackUser(owner) };
    }
    const reply = asArray(await this.#run(scripts.getWithUser, [sessionKey, this.#keys.user(owner)], []));
    // `{}` when there is no such session (deleted, or its TTL ran out while its pointer lives on).
    if (reply.length === 0) return null;
    const [fields, snapshot] = reply;
    const session = decodeRecord(id, owner, fields);
    if (session === null) return null;
    const user =
      snapshot === undefined ? await this.#fallbackUser(owner) : this.#snapshots.parse(text(snapshot));
    return { session, user };
  }

  async #fallbackUser(userId: string): Promise<U | null> {
    return this.#loadUser === null ? null : this.#loadUser(userId);
  }

  /** The user a session id belongs to: from this process's cache, else from the pointer. */
  async #owner(id: string): Promise<string | null> {
    return this.#pointers?.get(id) ?? this.#fetchOwner(id);
  }

  async #fetchOwner(id: string): Promise<string | null> {
    const owner = await this.#bounded(() => this.#client.get(this.#keys.pointer(id)));
    if (owner === null) return null;
    if (typeof owner !== 'string') throw new Error('unexpected reply from Redis');
    this.#pointers?.set(id, owner);
    return owner;
  }

  /**
   * Writes the id's pointer if no session has that id (SET NX): the store-wide check that ids are unique.
   * It lives until the later of `expiresAt` and `absoluteExpiresAt` (the session layer never renews past the
   * latter, so the session never outlives its pointer).
   */
  async #claimPointer(session: SessionRecord): Promise<void> {
    const ttl = this.#ttl(Math.max(session.expiresAt, session.absoluteExpiresAt));
    const claimed = await this.#bounded(() =>
      this.#client.set(this.#keys.pointer(session.id), session.userId, 'PX', ttl, 'NX'),
    );
    if (claimed === null) throw new Error('session id already exists');
  }

  /**
   * Forgets pointers whose session is gone. Best effort, and not awaited: a pointer left behind leads to no
   * session (its user's slot has none under that id) and expires with its TTL.
   */
  #dropPointers(ids: readonly string[]): void {
    for (const id of ids) {
      this.#pointers?.delete(id);
      this.#client.del(this.#keys.pointer(id)).catch(() => undefined);
    }
  }

  #requireSnapshots(): Snapshots<U> {
    if (this.#snapshots === null) throw new TypeError('user snapshots need the `users` option');
    return this.#snapshots;
  }

  #run(
    script: scripts.Script,
    keys: readonly string[],
    args: readonly (string | Buffer)[],
  ): Promise<unknown> {
    return this.#bounded(() => runScript(this.#client, script, keys, args));
  }

  /** Fails a Redis call that takes longer than `timeoutMs`, whatever the client's own settings. */
  async #bounded<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no reply from Redis within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([call(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Milliseconds from the store's clock to `expiresAt`, at least 1 (Redis refuses 0). */
  #ttl(expiresAt: number): string {
    integer(expiresAt, 'expiresAt');
    return String(Math.max(1, Math.ceil(expiresAt - this.#clock.now())));
  }
}

type Snapshots<U> = Required<RedisUserSnapshots<U>>;

function asArray(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new Error('unexpected reply from Redis');
  return reply as unknown[];
}
