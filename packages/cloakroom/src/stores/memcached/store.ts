import { createHash } from 'node:crypto';
import type { Clock } from '../../clock.js';
import type {
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
  UserSnapshotOptions,
} from '../types.js';
import type { MemcachedClient } from './client.js';
import { BinaryProtocol, MAX_RELATIVE_EXPIRATION } from './protocol.js';
import { decodeRecord, encodeRecord } from './record.js';
import { snapshotStoreSettings, type LoadUser, type SnapshotStoreOptions } from '../user-snapshots.js';

/** User snapshots kept in memcached beside the sessions (a cache too: an evicted one falls back). */
export type MemcachedUserSnapshots<U> = UserSnapshotOptions<U>;

/**
 * The memcached store's options. A snapshot comes with the session after a second GET; memcached may evict
 * a snapshot like anything else, so with snapshots on memcached, give `loadUser` too.
 */
export interface MemcachedStoreOptions<U> extends SnapshotStoreOptions<U> {
  /** Prefix of every key: up to 64 printable ASCII characters, no spaces. Default `cr:`. */
  prefix?: string;
}

/**
 * A session store on memcached, through a memjs `Client` you create and own (see `memcachedClientOptions`).
 *
 * memcached is a cache: when it runs short of memory it evicts the least recently used items, and it loses
 * everything on restart, so a session can end before its time (its user signs in again). Use it where that
 * is acceptable; sign-in throttling and refresh-token families never belong in it. It has no per-user index,
 * so `listUserSessions`, `revokeUserSessions` and `sweepExpired` are not available (memcached's TTLs do
 * the sweeping).
 *
 * One key per session, `<prefix>s:<id>`, holding the compact record of record.ts, expiring at `expiresAt`.
 * Creation is `add` (insert-only); touch and rotation are compare-and-set on memcached's CAS value, so a late
 * touch or a rotation racing a sign-out never brings a session back.
 */
export class MemcachedStore<U = SessionUser> implements SessionStore<U> {
  readonly #protocol: BinaryProtocol;
  readonly #prefix: string;
  readonly #clock: Clock;
  readonly #loadUser: LoadUser<U> | null;
  readonly #snapshots: Required<MemcachedUserSnapshots<U>> | null;
  readonly #timeoutMs: number;

  constructor(client: MemcachedClient, options: MemcachedStoreOptions<U> = {}) {
    this.#protocol = new BinaryProtocol(client);
    const prefix = options.prefix ?? 'cr:';
    if (typeof prefix !== 'string' || !/^[\x21-\x7e]{0,64}$/.test(prefix)) {
      throw new TypeError('prefix must be at most 64 printable ASCII characters without spaces');
    }
    this.#prefix = prefix;
    const settings = snapshotStoreSettings(options);
    this.#clock = settings.clock;
    this.#snapshots = settings.snapshots;
    this.#loadUser = settings.loadUser;
    this.#timeoutMs = settings.timeoutMs;
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    const found = await this.#bounded(() => this.#protocol.get(this.#sessionKey(id)));
    if (found === null) return null;
    const session = decodeRecord(id, found.value);
    return { session, user: await this.#user(session.userId) };
  }

  async create(session: SessionRecord): Promise<void> {
    const value = encodeRecord(session);
    const expiration = this.#expiration(session.expiresAt);
    const added = await this.#bounded(() =>
      this.#protocol.add(this.#sessionKey(session.id), value, expiration),
    );
    if (added !== 'stored') throw new Error('session id already exists');
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    const { lastSeenAt, expiresAt, version } = touch;
    const key = this.#sessionKey(id);
    const found = await this.#bounded(() => this.#protocol.get(key));
    if (found === null) return false;
    const current = decodeRecord(id, found.value);
    if (current.version !== version) return false;
    const value = encodeRecord({ ...current, lastSeenAt, expiresAt, version: version + 1 });
    const expiration = this.#expiration(expiresAt);
    // Only if the session is still there, unchanged since it was read: a delete or another write in between
    // makes memcached refuse it.
    const written = await this.#bounded(() =>
      this.#protocol.replaceIfUnchanged(key, value, expiration, found.cas),
    );
    return written === 'stored';
  }

  /**
   * Rotation without transactions: read the old session (and its CAS), `add` the successor, then delete the
   * old one only if its CAS is unchanged. When that delete finds the old session gone or changed (a sign-out
   * or another rotation won), the successor is deleted again and the result is `false`. Between the two
   * steps both sessions exist for one round trip, but the successor's token is handed out only on success.
   * If memcached fails mid-way the successor is removed on a best-effort basis (a leftover one is unusable:
   * nobody holds its secret) and the old session may or may not remain: at worst the user signs in again.
   */
  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const oldKey = this.#sessionKey(id);
    const found = await this.#bounded(() => this.#protocol.get(oldKey));
    if (found === null) return false;
    const current = decodeRecord(id, found.value);
    if (current.version !== version) return false;
    if (current.userId !== next.userId) throw new TypeError("replace keeps the session's user");
    const nextKey = this.#sessionKey(next.id);
    if (nextKey === oldKey) throw new TypeError('replace needs a new session id');
    const value = encodeRecord(next);
    const expiration = this.#expiration(next.expiresAt);
    const added = await this.#bounded(() => this.#protocol.add(nextKey, value, expiration));
    if (added !== 'stored') throw new Error('session id already exists');
    let removed;
    try {
      removed = await this.#bounded(() => this.#protocol.delete(oldKey, found.cas));
    } catch (error) {
      this.#protocol.delete(nextKey).catch(() => undefined);
      throw error;
    }
    if (removed === 'stored') return true;
    await this.#bounded(() => this.#protocol.delete(nextKey));
    return false;
  }

  async delete(id: string): Promise<void> {
    await this.#bounded(() => this.#protocol.delete(this.#sessionKey(id)));
  }

  /**
   * Stores (or replaces) the user's snapshot, read beside their sessions from then on. Call it when the user
   * is created and whenever a field the snapshot holds changes. Requires the `users` option. Snapshots have
   * no TTL; memcached evicts them like anything else (then `loadUser` answers).
   */
  async setUser(userId: string, user: U): Promise<void> {
    const snapshots = this.#requireSnapshots();
    const value = Buffer.from(snapshots.serialize(user), 'utf8');
    await this.#bounded(() => this.#protocol.set(this.#userKey(userId), value, 0));
  }

  /** Removes the user's snapshot. Requires `users`. */
  async deleteUser(userId: string): Promise<void> {
    this.#requireSnapshots();
    await this.#bounded(() => this.#protocol.delete(this.#userKey(userId)));
  }

  async #user(userId: string): Promise<U | null> {
    if (this.#snapshots !== null) {
      const snapshots = this.#snapshots;
      const found = await this.#bounded(() => this.#protocol.get(this.#userKey(userId)));
      if (found !== null) return snapshots.parse(found.value.toString('utf8'));
    }
    return this.#loadUser === null ? null : this.#loadUser(userId);
  }

  #requireSnapshots(): Required<MemcachedUserSnapshots<U>> {
    if (this.#snapshots === null) throw new TypeError('user snapshots need the `users` option');
    return this.#snapshots;
  }

  #sessionKey(id: string): string {
    return this.#key('s', id);
  }

  #userKey(userId: string): string {
    return this.#key('u', userId);
  }

  /**
   * `<prefix><kind>:<name>` for names made of base64url characters (session ids are), else
   * `<prefix><kind>#<base64url SHA-256 of the name>`: keys stay under memcached's 250 bytes and free of
   * spaces and control characters whatever the name, and the two forms never meet (`#` is not base64url).
   */
  #key(kind: 's' | 'u', name: string): string {
    if (typeof name !== 'string') throw new TypeError('ids must be strings');
    if (/^[A-Za-z0-9_-]{1,128}$/.test(name)) return `${this.#prefix}${kind}:${name}`;
    return `${this.#prefix}${kind}#${createHash('sha256').update(name, 'utf8').digest('base64url')}`;
  }

  /**
   * memcached's expiration for `expiresAt`: whole seconds from now (at least 1: 0 would mean "never") up to
   * 30 days; beyond that memcached reads the number as an absolute unix time, so it is sent as one.
   */
  #expiration(expiresAt: number): number {
    if (!Number.isSafeInteger(expiresAt)) throw new TypeError('expiresAt must be a safe integer');
    const seconds = Math.max(1, Math.ceil((expiresAt - this.#clock.now()) / 1000));
    if (seconds <= MAX_RELATIVE_EXPIRATION) return seconds;
    // memcached counts both forms on its own clock. The absolute one is this machine's unix time plus the
    // same TTL, so the two agree; a skew between this machine's clock and memcached's shifts only sessions
    // longer than 30 days, by the skew.
    return Math.min(Math.ceil(Date.now() / 1000) + seconds, 0xffffffff);
  }

  /** Fails a memcached call that takes longer than `timeoutMs`, whatever the client's own settings. */
  async #bounded<T>(call: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new Error(`no reply from memcached within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([call(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
