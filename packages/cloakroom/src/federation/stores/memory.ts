import type { FederationStateStore } from './types.js';

/** Federation records in a `Map`: for tests and single-process sites. */
export class MemoryFederationStateStore implements FederationStateStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();
  /** Set key -> member -> expiry. */
  readonly #sets = new Map<string, Map<string, number>>();

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

  addMember(key: string, member: string, expiresAt: number, _now: number): Promise<void> {
    let set = this.#sets.get(key);
    if (set === undefined) {
      set = new Map();
      this.#sets.set(key, set);
    }
    set.set(member, Math.max(expiresAt, set.get(member) ?? expiresAt));
    return Promise.resolve();
  }

  takeMembers(key: string, now: number): Promise<string[]> {
    const set = this.#sets.get(key);
    this.#sets.delete(key);
    if (set === undefined) return Promise.resolve([]);
    return Promise.resolve([...set].filter(([, expiresAt]) => expiresAt > now).map(([member]) => member));
  }

  deleteExpired(now: number): Promise<number> {
    let removed = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now && this.#entries.delete(key)) removed++;
    }
    for (const [key, set] of this.#sets) {
      for (const [member, expiresAt] of set) {
        if (expiresAt <= now && set.delete(member)) removed++;
      }
      if (set.size === 0) this.#sets.delete(key);
    }
    return Promise.resolve(removed);
  }
}
