import { systemClock, type Clock } from '../clock.js';
import type {
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

/** One stored session: its current record and whether it was read since eviction last passed it. */
interface Entry {
  record: SessionRecord;
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
export class MemoryStore<U = SessionUser> implements SessionStore<U>, SessionIndex {
  readonly index: SessionIndex = this;
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
    // Not an async function: validation calls this on every request, and when the user is at hand (the
    // default loader) an already-resolved promise saves a suspended frame. A promised user is awaited.
    try {
      const entry = this.#live(id);
      if (entry === undefined) return Promise.resolve(null);
      entry.used = true;
      const session = entry.record;
      const user = this.#loadUser(session.userId);
      return isPromiseLike(user)
        ? Promise.resolve(user).then((loaded) => ({ session, user: loaded }))
        : Promise.resolve({ session, user });
    } catch (error) {
      // Rejects with exactly what was thrown, as the async method this replaces did.
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      return Promise.reject(error);
    }
  }

  create(session: SessionRecord): Promise<void> {
    if (this.#live(session.id) !== undefined) return Promise.reject(new Error('session id already exists'));
    if (this.#sessions.size >= this.#max) this.#evict();
    this.#sessions.set(session.id, { record: freeze(session), used: false });
    let ids = this.#byUser.get(session.userId);
    if (ids === undefined) this.#byUser.set(session.userId, (ids = new Set()));
    ids.add(session.id);
    return Promise.resolve();
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    const entry = this.#live(id);
    if (entry?.record.version !== touch.version) return Promise.resolve(false);
    // Same id and user: the entry keeps its place and its index entry, and takes the new record.
    entry.record = freeze({
      ...entry.record,
      lastSeenAt: touch.lastSeenAt,
      expiresAt: touch.expiresAt,
      version: entry.record.version + 1,
    });
    entry.used = true;
    return Promise.resolve(true);
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const entry = this.#live(id);
    if (entry?.record.version !== version) return false;
    if (this.#live(next.id) !== undefined) throw new Error('session id already exists');
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
      if (entry !== undefined) sessions.push(entry.record);
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
      if (entry.record.expiresAt <= now) {
        this.#remove(id, entry);
        removed++;
      }
    }
    return Promise.resolve(removed);
  }

  /** How many sessions are held (expired ones not yet purged included). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The entry under `id` unless it is missing or past its expiry by the store's clock (then it is dropped). */
  #live(id: string): Entry | undefined {
    const entry = this.#sessions.get(id);
    if (entry === undefined || entry.record.expiresAt >= this.#clock.now()) return entry;
    this.#remove(id, entry);
    return undefined;
  }

  /** Makes room for one session: see the class comment. Amortized O(1): each pass clears a flag it moves. */
  #evict(): void {
    const now = this.#clock.now();
    for (const [id, entry] of this.#sessions) {
      if (entry.used && entry.record.expiresAt >= now) {
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
    const ids = this.#byUser.get(entry.record.userId);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byUser.delete(entry.record.userId);
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * A copy, secret hash bytes included, so a caller that reuses what it passed in cannot change what is stored.
 * The hash goes into Buffer's shared pool: a view on a slab that already has its backing store, where a
 * small `Uint8Array` of its own would get one allocated the first time it is handed to `timingSafeEqual`.
 */
function freeze(session: SessionRecord): SessionRecord {
  return Object.freeze({ ...session, secretHash: Buffer.from(session.secretHash) });
}
