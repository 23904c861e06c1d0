import { LRUCache } from 'lru-cache';
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
   * The most sessions kept; past it the least recently used are evicted (those users are signed out).
   * Default 100,000.
   */
  max?: number;
  /** Where the user comes from. Default: `{ id: userId }`. Return `null` when the user no longer exists. */
  loadUser?: (userId: string) => U | null | Promise<U | null>;
  /** Time source for expiry, shared with the session manager in tests. */
  clock?: Clock;
}

/**
 * An in-process store: an LRU with per-session TTLs and a per-user index. For development, tests and
 * single-process sites that accept losing sessions on restart.
 */
export class MemoryStore<U = SessionUser> implements SessionStore<U>, SessionIndex {
  readonly index: SessionIndex = this;
  readonly #sessions: LRUCache<string, SessionRecord>;
  readonly #byUser = new Map<string, Set<string>>();
  readonly #loadUser: (userId: string) => U | null | Promise<U | null>;
  readonly #clock: Clock;

  constructor(options: MemoryStoreOptions<U> = {}) {
    const max = options.max ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
    this.#clock = options.clock ?? systemClock;
    this.#loadUser = options.loadUser ?? ((userId) => ({ id: userId }) as U);
    this.#sessions = new LRUCache<string, SessionRecord>({
      max,
      ttlAutopurge: false,
      perf: { now: () => this.#clock.now() },
      // Read the clock on every check: by default lru-cache reuses one reading for 1 ms of real time, so an
      // injected clock moved forward within that millisecond would be ignored (and TTLs computed from it).
      ttlResolution: 0,
      // Keep the user index in step with whatever leaves the cache (delete, eviction, expiry); an
      // overwrite by touch keeps the same id and user, so the index stays as it is.
      dispose: (session, id, reason) => {
        if (reason !== 'set') this.#unindex(session.userId, id);
      },
    });
  }

  get(id: string): Promise<StoredSession<U> | null> {
    // Not an async function: validation calls this on every request, and when the user is at hand (the
    // default loader) an already-resolved promise saves a suspended frame. A promised user is awaited.
    try {
      const session = this.#sessions.get(id);
      if (session === undefined) return Promise.resolve(null);
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
    if (this.#sessions.has(session.id)) return Promise.reject(new Error('session id already exists'));
    // Drop an expired entry still held under this id through `delete`, so its user's index entry goes with it
    // (an overwrite by `set` would leave it behind, pointing at this new session).
    this.#sessions.delete(session.id);
    this.#sessions.set(session.id, freeze(session), { ttl: this.#ttl(session.expiresAt) });
    let ids = this.#byUser.get(session.userId);
    if (ids === undefined) this.#byUser.set(session.userId, (ids = new Set()));
    ids.add(session.id);
    return Promise.resolve();
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    const current = this.#sessions.get(id, { updateAgeOnGet: false });
    if (current?.version !== touch.version) return Promise.resolve(false);
    const next = freeze({
      ...current,
      lastSeenAt: touch.lastSeenAt,
      expiresAt: touch.expiresAt,
      version: current.version + 1,
    });
    this.#sessions.set(id, next, { ttl: this.#ttl(next.expiresAt) });
    return Promise.resolve(true);
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const current = this.#sessions.get(id, { updateAgeOnGet: false });
    if (current?.version !== version) return false;
    if (this.#sessions.has(next.id)) throw new Error('session id already exists');
    // Nothing awaits between the check and the swap, so no other operation can interleave.
    this.#sessions.delete(id);
    await this.create(next);
    return true;
  }

  delete(id: string): Promise<void> {
    this.#sessions.delete(id);
    return Promise.resolve();
  }

  listByUser(userId: string): Promise<SessionRecord[]> {
    const sessions: SessionRecord[] = [];
    for (const id of this.#byUser.get(userId) ?? []) {
      const session = this.#sessions.get(id, { updateAgeOnGet: false });
      if (session !== undefined) sessions.push(session);
    }
    return Promise.resolve(sessions);
  }

  deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    let removed = 0;
    for (const id of [...(this.#byUser.get(userId) ?? [])]) {
      if (id !== options.except && this.#sessions.delete(id)) removed++;
    }
    return Promise.resolve(removed);
  }

  deleteExpired(now: number): Promise<number> {
    let removed = 0;
    // `dump` is a snapshot that includes entries already stale by the store's clock.
    for (const [id, { value }] of this.#sessions.dump()) {
      if (value.expiresAt <= now && this.#sessions.delete(id)) removed++;
    }
    return Promise.resolve(removed);
  }

  /** How many sessions are held (expired ones not yet purged included). */
  get size(): number {
    return this.#sessions.size;
  }

  #ttl(expiresAt: number): number {
    return Math.max(1, expiresAt - this.#clock.now());
  }

  #unindex(userId: string, id: string): void {
    const ids = this.#byUser.get(userId);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byUser.delete(userId);
  }
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

// A copy, secret hash bytes included, so a caller that reuses what it passed in cannot change what is stored.
function freeze(session: SessionRecord): SessionRecord {
  return Object.freeze({ ...session, secretHash: new Uint8Array(session.secretHash) });
}
