import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../../clock.js';
import { METRICS, type Counter, type Histogram, type Metrics } from '../../metrics/index.js';
import type {
  ImmediateRead,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../types.js';
import { CacheEntries } from './entries.js';
import { InvalidationPublishError } from './errors.js';
import type { InvalidationEvent, Invalidator } from './invalidator.js';
import type { InvalidationMessage } from './message.js';

export interface CachedStoreOptions {
  /** How cached entries are evicted on every process: `RedisInvalidator`, `PostgresInvalidator`, … */
  invalidator: Invalidator;
  /** The most sessions held in this process. Default 10,000. */
  max?: number;
  /**
   * The longest an entry is served from memory after it was read from the inner store, even with no
   * invalidation: the bound on a revocation's delay if an invalidation is lost while the subscription
   * looks healthy. Default 30,000 ms.
   */
  ttlMs?: number;
  /**
   * Told about failures that do not reject an operation: an invalidation that could not be published after
   * a renewal or a rotation, a subscription that was lost. Default: ignore. Log them.
   */
  onError?: (error: Error) => void;
  /** Time source for entry ages and invalidation send times; default the system clock. */
  clock?: Clock;
  /**
   * Where to count lookups (`cloakroom_near_cache_lookups_total`, hit or miss, while serving from memory),
   * invalidations received from other processes (`cloakroom_near_cache_invalidations_received_total`) and
   * their fan-out delay (`cloakroom_revocation_fanout_seconds`, from the send time each message carries).
   * Default: nowhere.
   */
  metrics?: Metrics;
}

const HIT = { result: 'hit' } as const;
const MISS = { result: 'miss' } as const;
const SCOPE_ALL = { scope: 'all' } as const;
const SCOPE_SESSION = { scope: 'session' } as const;
const SCOPE_USER = { scope: 'user' } as const;
const NO_LABELS = {} as const;

/**
 * A near-cache: a `SessionStore` that wraps another one (Redis, PostgreSQL, …) with an in-process LRU, so a
 * validation of a session this process has seen recently never leaves the process. Every change is written
 * to the inner store first, then evicted here and published through the `invalidator`, so every other
 * process drops its copy within the transport's latency (milliseconds). While the subscription is down,
 * nothing is served from memory. See docs/stores.md, "Near-cache", for the guarantee.
 *
 * @example
 * ```ts
 * const redis = new Redis({ host: 'redis.internal', ...redisClientOptions() });
 * const store = await CachedStore.create(new RedisStore(redis), {
 *   invalidator: new RedisInvalidator(redis),
 *   ttlMs: 30_000,
 * });
 * ```
 */
export class CachedStore<U = SessionUser> implements SessionStore<U> {
  readonly index?: SessionIndex;
  /** The inner store's id tag, when it asks for one (the Redis store does). */
  readonly sessionIdTag?: (userId: string) => string;
  readonly #inner: SessionStore<U>;
  readonly #entries: CacheEntries<U>;
  readonly #invalidator: Invalidator;
  readonly #onError: (error: Error) => void;
  readonly #origin = randomBytes(9).toString('base64url');
  #live = false;
  #epoch = 0;
  #unsubscribe: (() => Promise<void>) | null = null;
  #closed = true;
  readonly #clock: Clock;
  readonly #lookups: Counter | null;
  readonly #invalidations: Counter | null;
  readonly #fanout: Histogram | null;

  /** Builds the cache; it serves from memory only once `start()` has subscribed. */
  constructor(inner: SessionStore<U>, options: CachedStoreOptions) {
    const max = options.max ?? 10_000;
    if (!Number.isInteger(max) || max < 1) throw new TypeError('max must be a positive integer');
    const ttlMs = options.ttlMs ?? 30_000;
    if (!Number.isFinite(ttlMs) || ttlMs < 1) throw new TypeError('ttlMs must be a positive number');
    this.#inner = inner;
    this.#invalidator = options.invalidator;
    this.#onError = options.onError ?? (() => {});
    this.#entries = new CacheEntries<U>({ max, ttlMs, clock: options.clock ?? null });
    this.#clock = options.clock ?? systemClock;
    const metrics = options.metrics;
    this.#lookups = metrics?.counter(METRICS.nearCacheLookups) ?? null;
    this.#invalidations = metrics?.counter(METRICS.nearCacheInvalidations) ?? null;
    this.#fanout = metrics?.histogram(METRICS.revocationFanoutSeconds) ?? null;
    if (inner.sessionIdTag !== undefined) this.sessionIdTag = inner.sessionIdTag.bind(inner);
    const index = inner.index;
    if (index !== undefined) {
      this.index = {
        listByUser: (userId) => index.listByUser(userId),
        deleteByUser: (userId, opts) =>
          this.#revoke({ users: [userId] }, () => index.deleteByUser(userId, opts)),
        // Expired entries may stay cached: callers check times, as with any store.
        deleteExpired: (now) => index.deleteExpired(now),
        ...(index.counter === undefined ? {} : { counter: index.counter }),
      };
    }
  }

  /** Makes the cache and subscribes it to its invalidator. */
  static async create<U = SessionUser>(
    inner: SessionStore<U>,
    options: CachedStoreOptions,
  ): Promise<CachedStore<U>> {
    const store = new CachedStore<U>(inner, options);
    await store.start();
    return store;
  }

  /** Subscribes to invalidations; from the subscription's confirmation on, entries are served from memory. */
  async start(): Promise<void> {
    if (this.#unsubscribe !== null) return;
    this.#closed = false;
    try {
      this.#unsubscribe = await this.#invalidator.subscribe((event) => {
        this.#hear(event);
      });
    } catch (error) {
      this.#closed = true;
      this.#setLive(false);
      throw error;
    }
  }

  /** Unsubscribes and empties the cache; the store then reads through, as before `start()`. */
  async close(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = null;
    this.#closed = true;
    this.#setLive(false);
    await unsubscribe?.();
  }

  /** Whether entries are being served from memory (subscribed, and no loss since the last confirmation). */
  get serving(): boolean {
    return this.#live;
  }

  /** How many sessions are held in memory. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A hit is answered at once and a miss with the read through's promise, so a validation served from
   * memory settles without awaiting anything (see `SessionStore.immediate`).
   */
  readonly immediate: ImmediateRead<U> = {
    getNow: (id) => {
      if (this.#live) {
        const hit = this.#entries.get(id);
        if (hit !== undefined) {
          this.#lookups?.inc(HIT);
          return hit;
        }
        this.#lookups?.inc(MISS);
      }
      return this.#readThrough(id);
    },
  };

  get(id: string): Promise<StoredSession<U> | null> {
    // A hit becomes a resolved promise; a read through's promise is returned as it is.
    return Promise.resolve(this.immediate.getNow(id));
  }

  async #readThrough(id: string): Promise<StoredSession<U> | null> {
    const epoch = this.#epoch;
    const flight = this.#entries.startFlight(id, this.#live);
    let found: StoredSession<U> | null;
    try {
      found = await this.#inner.get(id);
    } catch (error) {
      this.#entries.abandon(flight);
      throw error;
    }
    // Cache only if the subscription held for the whole read: a message missed meanwhile could be about it.
    this.#entries.settle(flight, found, this.#live && epoch === this.#epoch);
    return found;
  }

  async create(session: SessionRecord): Promise<void> {
    // Absence is never cached, so a new id needs no invalidation anywhere.
    await this.#inner.create(session);
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    let touched: boolean;
    try {
      touched = await this.#inner.touch(id, touch);
    } catch (error) {
      this.#entries.evictSessions([id]); // it may or may not have been applied
      throw error;
    }
    if (!touched) {
      // Gone or changed elsewhere: what is held here is out of date (the caller usually reads again).
      this.#entries.evictSessions([id]);
      return false;
    }
    this.#entries.update(id, (current) =>
      current.session.version === touch.version
        ? {
            session: {
              ...current.session,
              lastSeenAt: touch.lastSeenAt,
              expiresAt: touch.expiresAt,
              version: touch.version + 1,
            },
            user: current.user,
          }
        : null,
    );
    // Other processes hold the old expiry: drop it, so none refuses the session as idle-expired. A failure
    // here costs no security (their copies are older, not longer-lived) and must not fail a validation.
    await this.#publishQuietly({ sessions: [id] });
    return true;
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    let replaced: boolean;
    try {
      replaced = await this.#inner.replace(id, version, next);
    } catch (error) {
      this.#entries.evictSessions([id]);
      await this.#publishQuietly({ sessions: [id] }); // a timed-out rotation may have committed
      throw error;
    }
    this.#entries.evictSessions([id]);
    // Not rejected on a publish failure: the caller must still hand out the successor, or the user, whose
    // old session is gone from the inner store, would be signed out.
    if (replaced) await this.#publishQuietly({ sessions: [id] });
    return replaced;
  }

  async delete(id: string): Promise<void> {
    await this.#revoke({ sessions: [id] }, () => this.#inner.delete(id));
  }

  /**
   * Drops the user's cached sessions on every process. Call it after changing anything of the user that
   * the inner store returns beside the session (a Redis user snapshot, a joined users row: roles, a ban),
   * or processes may serve the old user for up to `ttlMs`. Rejects if the eviction could not be published.
   */
  async evictUser(userId: string): Promise<void> {
    await this.#revoke({ users: [userId] }, () => Promise.resolve());
  }

  /**
   * A revocation: written through, evicted here, then published. A failed publish rejects (with
   * `InvalidationPublishError`) although the revocation is recorded, so the caller can retry: until then
   * other processes may accept the session for up to `ttlMs`.
   */
  async #revoke<T>(change: Change, write: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await write();
    } catch (error) {
      // A write that failed late (a timeout) may have committed: evict everywhere anyway, at no cost.
      this.#evict(change);
      await this.#publishQuietly(change);
      throw error;
    }
    this.#evict(change);
    try {
      await this.#invalidator.publish(this.#message(change));
    } catch (error) {
      const failure = new InvalidationPublishError(error);
      this.#onError(failure);
      throw failure;
    }
    return result;
  }

  async #publishQuietly(change: Change): Promise<void> {
    try {
      await this.#invalidator.publish(this.#message(change));
    } catch (error) {
      this.#onError(new InvalidationPublishError(error));
    }
  }

  #message(change: Change): InvalidationMessage {
    return {
      origin: this.#origin,
      sessions: change.sessions ?? [],
      users: change.users ?? [],
      all: false,
      sentAt: this.#clock.now(),
    };
  }

  #evict(change: Change): void {
    this.#entries.evictSessions(change.sessions ?? []);
    this.#entries.evictUsers(change.users ?? []);
  }

  #hear(event: InvalidationEvent): void {
    if (this.#closed) return;
    switch (event.type) {
      case 'message': {
        const { message } = event;
        if (message.origin === this.#origin) return; // evicted here already, before publishing
        this.#count(message);
        if (message.all) this.#entries.clear();
        else this.#evict(message);
        return;
      }
      case 'ready':
        // Messages sent while the subscription was down are lost: start from an empty cache.
        this.#setLive(true);
        return;
      case 'lost':
        this.#setLive(false);
        this.#onError(
          new Error('invalidation subscription lost; reading through until it is back', {
            cause: event.error ?? undefined,
          }),
        );
        return;
    }
  }

  #count(message: InvalidationMessage): void {
    if (this.#invalidations !== null) {
      if (message.all) this.#invalidations.inc(SCOPE_ALL);
      else {
        if (message.sessions.length > 0) this.#invalidations.inc(SCOPE_SESSION);
        if (message.users.length > 0) this.#invalidations.inc(SCOPE_USER);
      }
    }
    if (this.#fanout !== null && message.sentAt !== undefined) {
      this.#fanout.observe(NO_LABELS, Math.max(0, this.#clock.now() - message.sentAt) / 1000);
    }
  }

  #setLive(live: boolean): void {
    this.#entries.clear();
    this.#epoch++;
    this.#live = live;
  }
}

interface Change {
  sessions?: readonly string[];
  users?: readonly string[];
}
