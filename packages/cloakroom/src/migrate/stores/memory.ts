import type { MigrationStore } from '../types.js';

/**
 * A migration store in this process's memory: for tests and single-process sites. Exchanged credentials are
 * forgotten at restart, so a copy could then be exchanged again: use a shared store (SQLite, Redis,
 * PostgreSQL) in production.
 */
export class MemoryMigrationStore implements MigrationStore {
  readonly #claims = new Map<string, number>();
  readonly #counters = new Map<string, number>();

  claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const until = this.#claims.get(key);
    if (until !== undefined && until > now) return Promise.resolve(false);
    if (this.#claims.size > 100_000) {
      for (const [stale, end] of this.#claims) if (end <= now) this.#claims.delete(stale);
    }
    this.#claims.set(key, expiresAt);
    return Promise.resolve(true);
  }

  increment(counter: string): Promise<void> {
    this.#counters.set(counter, (this.#counters.get(counter) ?? 0) + 1);
    return Promise.resolve();
  }

  counters(): Promise<Record<string, number>> {
    return Promise.resolve(Object.fromEntries(this.#counters));
  }
}
