import { LRUCache } from 'lru-cache';
import type { Clock } from '../../clock.js';
import type { StoredSession } from '../types.js';

/** A read through to the inner store that is under way; it may cache its answer only if still `fresh`. */
interface Flight {
  readonly id: string;
  fresh: boolean;
}

/**
 * The in-process part of the near-cache: an LRU of sessions (with their users) whose entries live at most
 * `ttlMs`, a per-user index so a user's entries can all be dropped, and the reads under way, so that an
 * eviction arriving while a read is in flight also stops that read's (possibly older) answer from being
 * cached afterwards.
 */
export class CacheEntries<U> {
  readonly #entries: LRUCache<string, StoredSession<U>>;
  readonly #byUser = new Map<string, Set<string>>();
  readonly #flights = new Set<Flight>();

  constructor(options: { max: number; ttlMs: number; clock: Clock | null }) {
    const clock = options.clock;
    this.#entries = new LRUCache<string, StoredSession<U>>({
      max: options.max,
      ttl: options.ttlMs,
      // Trust an entry for ttlMs from when it was read, however often it is used.
      updateAgeOnGet: false,
      ...(clock === null ? {} : { perf: { now: () => clock.now() }, ttlResolution: 0 }),
      dispose: (found, id, reason) => {
        if (reason !== 'set') this.#unindex(found.session.userId, id);
      },
    });
  }

  get(id: string): StoredSession<U> | undefined {
    return this.#entries.get(id);
  }

  /** Registers a read through; pass the result to `settle` when it is done. */
  startFlight(id: string, fresh: boolean): Flight {
    const flight = { id, fresh };
    this.#flights.add(flight);
    return flight;
  }

  /** Ends a read through, caching its answer when nothing was evicted meanwhile. */
  settle(flight: Flight, found: StoredSession<U> | null, cacheable: boolean): void {
    this.#flights.delete(flight);
    if (found === null || !flight.fresh || !cacheable || found.session.id !== flight.id) return;
    this.#entries.set(flight.id, found);
    const userId = found.session.userId;
    let ids = this.#byUser.get(userId);
    if (ids === undefined) this.#byUser.set(userId, (ids = new Set()));
    ids.add(flight.id);
  }

  abandon(flight: Flight): void {
    this.#flights.delete(flight);
  }

  /** Replaces an entry in place (same id, same user), if one is held. */
  update(id: string, next: (current: StoredSession<U>) => StoredSession<U> | null): void {
    this.#staleFlights((flight) => flight.id === id);
    const current = this.#entries.get(id, { updateAgeOnGet: false });
    if (current === undefined) return;
    const replacement = next(current);
    if (replacement === null) {
      this.#entries.delete(id);
    } else {
      const remaining = this.#entries.getRemainingTTL(id);
      this.#entries.set(id, replacement, { ttl: Math.max(1, remaining) });
    }
  }

  evictSessions(ids: readonly string[]): void {
    if (ids.length === 0) return;
    const set = new Set(ids);
    this.#staleFlights((flight) => set.has(flight.id));
    for (const id of ids) this.#entries.delete(id);
  }

  evictUsers(userIds: readonly string[]): void {
    if (userIds.length === 0) return;
    // A read under way does not know its user yet: any of them may be one of these users' sessions.
    this.#staleFlights(() => true);
    for (const userId of userIds) {
      for (const id of [...(this.#byUser.get(userId) ?? [])]) this.#entries.delete(id);
    }
  }

  clear(): void {
    this.#staleFlights(() => true);
    this.#entries.clear();
    this.#byUser.clear();
  }

  get size(): number {
    return this.#entries.size;
  }

  #staleFlights(match: (flight: Flight) => boolean): void {
    for (const flight of this.#flights) if (match(flight)) flight.fresh = false;
  }

  #unindex(userId: string, id: string): void {
    const ids = this.#byUser.get(userId);
    if (ids === undefined) return;
    ids.delete(id);
    if (ids.size === 0) this.#byUser.delete(userId);
  }
}
