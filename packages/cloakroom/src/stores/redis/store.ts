import type { Clock } from '../../clock.js';
import type {
  SessionCounter,
  SessionCounts,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
  UserSnapshotOptions,
} from '../types.js';
import type { RedisClient } from '../../lib/redis/client.js';
import { runScript, type Script } from '../../lib/redis/script.js';
import { Deadlines } from './deadline.js';
import { KeyLayout } from './keys.js';
import { decodeRecord, encodeRecord, fitsU48, integer, packU48, text, u48 } from './record.js';
import * as scripts from './scripts.js';
import { countIndexed, sweepExpired } from './sweep.js';
import { snapshotStoreSettings, type LoadUser, type SnapshotStoreOptions } from '../user-snapshots.js';

/** User snapshots kept in Redis beside the sessions, so a validation reads session and user together. */
export type RedisUserSnapshots<U> = UserSnapshotOptions<U>;

/**
 * The Redis store's options. A snapshot comes with the session from the same script; a call fails between
 * `timeoutMs` and a quarter more.
 */
export interface RedisStoreOptions<U> extends SnapshotStoreOptions<U> {
  /** Prefix of every key. Default `cr:`. Must not contain `{` or `}`. */
  prefix?: string;
  /** Keys per SCAN step and sessions per script when sweeping. Default 1,000. */
  sweepBatchSize?: number;
}

/**
 * A store on Redis (or Valkey), single server or Cluster, through an ioredis client you create and own
 * (see `redisClientOptions`). Keys follow `keys.ts`: everything of one user shares a Cluster slot, whose tag
 * also leads every session id of the user (`sessionIdTag`), so a validation is one `GET` (or one script with
 * user snapshots) on any process; creation, renewal, rotation and revoke-all are atomic scripts, expiry is
 * Redis TTLs, and no request runs KEYS or SCAN. Session ids must come from the session layer (which asks
 * `sessionIdTag`); an id without its user's tag is refused.
 *
 * @example
 * ```ts
 * const client = new Redis({ host: 'redis.internal', ...redisClientOptions() });
 * const store = new RedisStore<AppUser>(client, { users: true });
 * await store.setUser('u-1', { id: 'u-1', email: 'ada@example.com' }); // at sign-up and on every change
 * ```
 */
export class RedisStore<U = SessionUser> implements SessionStore<U>, SessionIndex, SessionCounter {
  readonly index: SessionIndex = this;
  readonly counter: SessionCounter = this;
  readonly #client: RedisClient;
  readonly #keys: KeyLayout;
  readonly #clock: Clock;
  readonly #loadUser: LoadUser<U> | null;
  readonly #snapshots: Snapshots<U> | null;
  readonly #deadlines: Deadlines;
  readonly #timeoutMs: number;
  readonly #sweepBatchSize: number;

  constructor(client: RedisClient, options: RedisStoreOptions<U> = {}) {
    // ioredis's `keyPrefix` prefixes KEYS but not the key prefixes scripts get in ARGV, nor what SCAN
    // returns: listing would see no session and revoke-all would remove none. The store's `prefix` does it.
    const clientOptions = client.options as {
      keyPrefix?: unknown;
      redisOptions?: { keyPrefix?: unknown };
      scaleReads?: unknown;
    };
    if (clientOptions.keyPrefix || clientOptions.redisOptions?.keyPrefix) {
      throw new TypeError("the client's keyPrefix is not supported: use the store's `prefix` option");
    }
    // A Cluster reading from replicas could return a session a revocation has just removed.
    if (client.isCluster && (clientOptions.scaleReads ?? 'master') !== 'master') {
      throw new TypeError(
        "a Cluster client must read from masters (scaleReads: 'master'): a replica may lag",
      );
    }
    this.#client = client;
    this.#keys = new KeyLayout(options.prefix ?? 'cr:');
    const settings = snapshotStoreSettings(options);
    this.#clock = settings.clock;
    this.#snapshots = settings.snapshots;
    this.#loadUser = settings.loadUser;
    this.#timeoutMs = settings.timeoutMs;
    this.#deadlines = new Deadlines(this.#timeoutMs);
    this.#sweepBatchSize = options.sweepBatchSize ?? 1000;
    if (!Number.isInteger(this.#sweepBatchSize) || this.#sweepBatchSize < 1) {
      throw new TypeError('sweepBatchSize must be a positive integer');
    }
  }

  /** The user's tag (see keys.ts), which the session layer puts in front of each new session id. */
  sessionIdTag(userId: string): string {
    return KeyLayout.tag(userId);
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    const key = this.#keys.session(id);
    if (key === null) return null;
    if (this.#snapshots === null) {
      const value = await this.#bounded(this.#client.getBuffer(key));
      if (value === null) return null;
      const session = decodeRecord(id, value);
      const user = (this.#loadUser as (userId: string) => U | null | Promise<U | null>)(session.userId);
      return { session, user: user instanceof Promise ? await user : user };
    }
    const reply = asArray(
      await this.#run(scripts.getWithUser, [key], [this.#keys.userPrefix(id.slice(0, 2))]),
    );
    // `{}` when there is no such session (deleted, or its TTL ran out).
    if (reply.length === 0) return null;
    const [value, snapshot] = reply;
    const session = decodeRecord(id, value);
    const user =
      snapshot === undefined
        ? await this.#fallbackUser(session.userId)
        : this.#snapshots.parse(text(snapshot));
    return { session, user };
  }

  async create(session: SessionRecord): Promise<void> {
    const key = this.#ownKey(session);
    const value = encodeRecord(session);
    const ttl = this.#ttl(session.expiresAt);
    const created = await this.#run(
      scripts.create,
      [key, this.#keys.index(session.userId)],
      [ttl, session.id, integer(session.expiresAt, 'expiresAt'), value],
    );
    if (created !== 1) throw new Error('session id already exists');
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    integer(touch.version, 'version');
    const key = this.#keys.session(id);
    // No stored record has a version outside 0 .. 2^48 - 1, nor an untagged id.
    if (key === null || !fitsU48(touch.version)) return false;
    const times = Buffer.allocUnsafe(12);
    times.writeUIntBE(u48(touch.lastSeenAt, 'lastSeenAt'), 0, 6);
    times.writeUIntBE(u48(touch.expiresAt, 'expiresAt'), 6, 6);
    const touched = await this.#run(
      scripts.touch,
      [key],
      [
        this.#keys.indexPrefix(id.slice(0, 2)),
        id,
        packU48(touch.version),
        packU48(u48(touch.version + 1, 'version')),
        times,
        this.#ttl(touch.expiresAt),
        integer(touch.expiresAt, 'expiresAt'),
      ],
    );
    return touched === 1;
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    integer(version, 'version');
    const nextKey = this.#ownKey(next);
    const key = this.#keys.session(id);
    if (key === null || !fitsU48(version)) return false;
    if (id.slice(0, 2) !== next.id.slice(0, 2)) {
      // The old id has another tag, so it is not a session of next's user: misuse if it exists at all.
      if ((await this.get(id)) !== null) throw new TypeError("replace keeps the session's user");
      return false;
    }
    const replaced = await this.#run(
      scripts.replace,
      [key, nextKey, this.#keys.index(next.userId)],
      [
        packU48(version),
        id,
        next.id,
        this.#ttl(next.expiresAt),
        integer(next.expiresAt, 'expiresAt'),
        encodeRecord(next),
        next.userId,
      ],
    );
    if (replaced === -1) throw new Error('session id already exists');
    if (replaced === -2) throw new TypeError("replace keeps the session's user");
    return replaced === 1;
  }

  async delete(id: string): Promise<void> {
    const key = this.#keys.session(id);
    if (key === null) return;
    await this.#run(scripts.remove, [key], [this.#keys.indexPrefix(id.slice(0, 2)), id]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const tag = KeyLayout.tag(userId);
    const reply = asArray(
      await this.#run(scripts.list, [this.#keys.index(userId)], [this.#keys.sessionPrefix(tag)]),
    );
    const sessions: SessionRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      const session = decodeRecord(text(reply[i]), reply[i + 1]);
      // Never in practice: an id in this user's index whose record names another user.
      if (session.userId === userId) sessions.push(session);
    }
    return sessions;
  }

  async deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    const args = [this.#keys.sessionPrefix(KeyLayout.tag(userId))];
    if (options.except !== undefined) args.push(options.except);
    return Number(await this.#run(scripts.removeUser, [this.#keys.index(userId)], args));
  }

  deleteExpired(now: number): Promise<number> {
    return sweepExpired({
      client: this.#client,
      keys: this.#keys,
      now: integer(now, 'now'),
      batchSize: this.#sweepBatchSize,
      bound: (call) => this.#bounded(call()),
    });
  }

  /**
   * Counts the entries of every user's index by score (`expiresAt`): after `now` is live; at or before it is
   * expired and kept until a sweep (the session itself may be gone already, by its TTL). A SCAN, like
   * `deleteExpired`: for operators, never a request path.
   */
  countSessions(now: number): Promise<SessionCounts> {
    return countIndexed({
      client: this.#client,
      keys: this.#keys,
      now: integer(now, 'now'),
      batchSize: this.#sweepBatchSize,
      bound: (call) => this.#bounded(call()),
    });
  }

  /**
   * Stores (or replaces) the user's snapshot, read beside their sessions from then on. Call it when the user
   * is created and whenever a field the snapshot holds changes. Requires the `users` option.
   */
  async setUser(userId: string, user: U): Promise<void> {
    const snapshots = this.#requireSnapshots();
    await this.#bounded(this.#client.set(this.#keys.user(userId), snapshots.serialize(user)));
  }

  /** Removes the user's snapshot: their sessions then validate as `user_not_found`. Requires `users`. */
  async deleteUser(userId: string): Promise<void> {
    this.#requireSnapshots();
    await this.#bounded(this.#client.del(this.#keys.user(userId)));
  }

  async #fallbackUser(userId: string): Promise<U | null> {
    return this.#loadUser === null ? null : this.#loadUser(userId);
  }

  /** The key of a session being written, whose id must carry its user's tag. */
  #ownKey(session: SessionRecord): string {
    const key = this.#keys.session(session.id);
    if (key === null || session.id.slice(0, 2) !== KeyLayout.tag(session.userId)) {
      throw new TypeError(
        "a session id must begin with its user's tag (store.sessionIdTag): create sessions through the session manager",
      );
    }
    return key;
  }

  #requireSnapshots(): Snapshots<U> {
    if (this.#snapshots === null) throw new TypeError('user snapshots need the `users` option');
    return this.#snapshots;
  }

  #run(script: Script, keys: readonly string[], args: readonly (string | Buffer)[]): Promise<unknown> {
    return this.#bounded(runScript(this.#client, script, keys, args));
  }

  /** Fails a Redis call that takes longer than `timeoutMs`, whatever the client's own settings. */
  #bounded<T>(call: Promise<T>): Promise<T> {
    return this.#deadlines.bound(call);
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
