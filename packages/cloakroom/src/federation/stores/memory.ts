import type { FederationStateStore } from './types.js';

/** Federation records in a `Map`: for tests and single-process sites. */
export class MemoryFederationStateStore implements FederationStateStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  add(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    const current = this.#entries.get(key);
    if (current !== undefined && current.expiresAt > now) return Promise.resolve(false);
    this.#entries.set(key, { value, expiresAt });
    return Promise.resolve(true);
  }

  put(key: string, value: string, expiresAt: number, _now: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt });
    return Promise.resolve();
  }

  take(key: string, now: number): Promise<string | null> {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    return Promise.resolve(entry === undefined || entry.expiresAt <= now ? null : entry.value);
  }

  deleteExpired(now: number): Promise<number> {
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now && this.#entries.delete(key)) removed++;
    }
    return Promise.resolve(removed);
  }
}
