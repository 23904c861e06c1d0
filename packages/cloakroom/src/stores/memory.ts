import { systemClock, type Clock } from '../clock.js';
import { isPromiseLike } from '../lib/promise.js';
import { checkAuthFields } from './auth-fields.js';
import type {
  ImmediateRead,
  SessionCounter,
  SessionCounts,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from './types.js';

export interface MemoryStoreOptions<U> {
  /**
   * The most sessions kept; past it a session not used lately is evicted (its user is signed out).
   * Default 100,000.
   */
  max?: number;
  /** Where the user comes from. Default: `{ id: userId }`. Return `null` when the user no longer exists. */
  loadUser?: (userId: string) => U | null | Promise<U | null>;
  /** Time source for expiry, shared with the session manager in tests. */
  clock?: Clock;
}

/**
 * One stored session, kept compact because a lookup among many sessions is bound by how many places in memory
 * it touches: the record's fields in this one object (a `SessionRecord` is built from it on each read) and the
 * secret's hash as a 32-character latin1 string beside them, rather than a frozen record, a `Buffer` view and
 * that view's backing store. `used`: read since eviction last passed it.
 */
interface Entry {
  readonly id: string;
  readonly userId: string;
  readonly secretHash: string;
  readonly createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly userAgent: string | null;
  readonly ip: string | null;
  readonly authTime: number;
  /** Frozen: handed out as it is. */
  readonly amr: readonly string[];
  version: number;
  used: boolean;
}

/**
 * An in-process store: one `Map` from id to session, with expiry read from the record and a per-user index.
 * For development, tests and single-process sites that accept losing sessions on restart.
 *
 * Past `max` sessions it evicts by "second chance", the classic approximation of least recently used: the
 * map's insertion order is the eviction queue, a read only sets the entry's `used` flag, and eviction takes
 * the oldest entry that is unused (or expired), moving each used one it passes to the back with its flag
 * cleared. A read thus costs one flag write instead of relinking a recency list.
 */
export class MemoryStore<U = SessionUser>
  implements SessionStore<U>, SessionIndex, SessionCounter, ImmediateRead<U>
{
  readonly index: SessionIndex = this;
  readonly counter: SessionCounter = this;
  readonly immediate: ImmediateRead<U> = this;
  readonly #sessions = new Map<string, Entry>();
  readonly #byUser = new Map<string, Set<string>>();
  readonly #max: number;
  readonly #loadUser: (userId: string) => U | null | Promise<U | null>;
  readonly #clock: Clock;

  constructor(options: MemoryStoreOptions<U> = {}) {
    const max = options.max ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
    this.#max = max;
    this.#clock = options.clock ?? systemClock;
    this.#loadUser = options.loadUser ?? ((userId) => ({ id: userId }) as U);
  }

  get(id: string): Promise<StoredSession<U> | null> {
    try {
      return Promise.resolve(this.getNow(id));
    } catch (error) {
      // Rejects instead of throwing, as an async method would (a non-Error becomes a TypeError).
      return Promise.reject(error instanceof Error ? error : new TypeError('invalid session record'));
    }
  }

  /** The session and its user at once; a promise only when the user loader returns one. */
  getNow(id: string): StoredSession<U> | null | Promise<StoredSession<U> | null> {
    const entry = this.#live(id);
    if (entry === undefined) return null;
    entry.used = true;
    const session = toRecord(entry);
    const user = this.#loadUser(session.userId);
    return isPromiseLike(user)
      ? Promise.resolve(user).then((loaded) => ({ session, user: loaded }))
      : { session, user };
  }

  create(session: SessionRecord): Promise<void> {
    if (this.#live(session.id) !== undefined) return Promise.reject(new Error('session id already exists'));
    let entry: Entry;
    try {
      entry = toEntry(session);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError('invalid session record'));
    }
    if (this.#sessions.size >= this.#max) this.#evict();
    this.#sessions.set(session.id, entry);
    let ids = this.#byUser.get(session.userId);
    if (ids === undefined) this.#byUser.set(session.userId, (ids = new Set()));
    ids.add(session.id);
    return Promise.resolve();
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    const entry = this.#live(id);
    if (entry?.version !== touch.version) return Promise.resolve(false);
    // Same id and user: the entry keeps its place and its index entry. Records already handed out are copies.
    entry.lastSeenAt = touch.lastSeenAt;
    entry.expiresAt = touch.expiresAt;
    entry.version++;
    entry.used = true;
    return Promise.resolve(true);
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const entry = this.#live(id);
    if (entry?.version !== version) return false;
    if (this.#live(next.id) !== undefined) throw new Error('session id already exists');
    checkAuthFields(next);
    // Nothing awaits between the check and the swap, so no other operation can interleave.
    this.#remove(id, entry);
    await this.create(next);
    return true;
  }

  delete(id: string): Promise<void> {
    const entry = this.#sessions.get(id);
    if (entry !== undefined) this.#remove(id, entry);
    return Promise.resolve();
  }

  listByUser(userId: string): Promise<SessionRecord[]> {
    const sessions: SessionRecord[] = [];
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      const entry = this.#live(id);
      if (entry !== undefined) sessions.push(toRecord(entry));
    }
    return Promise.resolve(sessions);
  }

  deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    let removed = 0;
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      const entry = this.#live(id);
      if (entry !== undefined && id !== options.except) {
        this.#remove(id, entry);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  deleteExpired(now: number): Promise<number> {
    let removed = 0;
    // Deleting the entry just visited is safe while iterating a Map.
    for (const [id, entry] of this.#sessions) {
      if (entry.expiresAt <= now) {
        this.#remove(id, entry);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  countSessions(now: number): Promise<SessionCounts> {
    let expired = 0;
    for (const entry of this.#sessions.values()) if (entry.expiresAt <= now) expired++;
    return Promise.resolve({ live: this.#sessions.size - expired, expired });
  }

  /** How many sessions are held (expired ones not yet purged included). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The entry under `id` unless it is missing or past its expiry by the store's clock (then it is dropped). */
  #live(id: string): Entry | undefined {
    const entry = this.#sessions.get(id);
    if (entry === undefined || entry.expiresAt >= this.#clock.now()) return entry;
    this.#remove(id, entry);
    return undefined;
  }

  /** Makes room for one session: see the class comment. Amortized O(1): each pass clears a flag it moves. */
  #evict(): void {
    const now = this.#clock.now();
    for (const [id, entry] of this.#sessions) {
      if (entry.used && entry.expiresAt >= now) {
        entry.used = false;
        // To the back of the queue; this loop meets it again only after every other entry.
        this.#sessions.delete(id);
        this.#sessions.set(id, entry);
      } else {
        this.#remove(id, entry);
        return;
      }
    }
  }

  #remove(id: string, entry: Entry): void {
    this.#sessions.delete(id);
    const ids = this.#byUser.get(entry.userId);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byUser.delete(entry.userId);
  }
}

/** A copy of what the caller passed in, so reusing its object or its hash bytes cannot change what is stored. */
function toEntry(record: SessionRecord): Entry {
  const hash = record.secretHash;
  return {
    id: record.id,
    userId: record.userId,
    secretHash: Buffer.from(hash.buffer, hash.byteOffset, hash.byteLength).toString('latin1'),
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    userAgent: record.userAgent,
    ip: record.ip,
    authTime: record.authTime,
    amr: checkAuthFields(record),
    version: record.version,
    used: false,
  };
}

/** A fresh record for the caller; its hash is a view on Buffer's shared pool, not a backing store of its own. */
function toRecord(entry: Entry): SessionRecord {
  return {
    id: entry.id,
    userId: entry.userId,
    secretHash: Buffer.from(entry.secretHash, 'latin1'),
    createdAt: entry.createdAt,
    lastSeenAt: entry.lastSeenAt,
    expiresAt: entry.expiresAt,
    absoluteExpiresAt: entry.absoluteExpiresAt,
    userAgent: entry.userAgent,
    ip: entry.ip,
    authTime: entry.authTime,
    amr: entry.amr,
    version: entry.version,
  };
}
