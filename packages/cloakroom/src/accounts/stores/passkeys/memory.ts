import type { PasskeyChallengeStore, PasskeyRecord, PasskeyStore, PasskeyUse } from '../../passkeys/types.js';

const copy = (record: PasskeyRecord): PasskeyRecord => ({ ...record, transports: [...record.transports] });

/** Passkeys in a `Map`: for tests and examples. */
export class MemoryPasskeyStore implements PasskeyStore {
  readonly #byId = new Map<string, PasskeyRecord>();

  create(record: PasskeyRecord): Promise<boolean> {
    if (this.#byId.has(record.id)) return Promise.resolve(false);
    this.#byId.set(record.id, copy(record));
    return Promise.resolve(true);
  }

  findById(id: string): Promise<PasskeyRecord | null> {
    const record = this.#byId.get(id);
    return Promise.resolve(record === undefined ? null : copy(record));
  }

  listByUser(userId: string): Promise<PasskeyRecord[]> {
    const records = [...this.#byId.values()].filter((record) => record.userId === userId);
    return Promise.resolve(records.sort((a, b) => a.createdAt - b.createdAt).map(copy));
  }

  recordUse(id: string, use: PasskeyUse): Promise<boolean> {
    const record = this.#byId.get(id);
    if (
      record === undefined ||
      !(use.counter > record.counter || (use.counter === 0 && record.counter === 0))
    ) {
      return Promise.resolve(false);
    }
    this.#byId.set(id, { ...record, ...use });
    return Promise.resolve(true);
  }

  delete(userId: string, id: string): Promise<boolean> {
    if (this.#byId.get(id)?.userId !== userId) return Promise.resolve(false);
    return Promise.resolve(this.#byId.delete(id));
  }

  deleteByUser(userId: string): Promise<number> {
    let deleted = 0;
    for (const [id, record] of this.#byId) {
      if (record.userId === userId && this.#byId.delete(id)) deleted += 1;
    }
    return Promise.resolve(deleted);
  }
}

/** WebAuthn challenges in a `Map`: for tests and a single process. */
export class MemoryPasskeyChallengeStore implements PasskeyChallengeStore {
  readonly #entries = new Map<string, { value: string; expiresAt: number }>();

  put(key: string, value: string, expiresAt: number, _now: number): Promise<void> {
    this.#entries.set(key, { value, expiresAt });
    return Promise.resolve();
  }

  add(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    const current = this.#entries.get(key);
    if (current !== undefined && current.expiresAt > now) return Promise.resolve(false);
    this.#entries.set(key, { value, expiresAt });
    return Promise.resolve(true);
  }

  take(key: string, now: number): Promise<string | null> {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    // Expired entries are dropped as they are read, and by size: a challenge is never kept past a few minutes.
    for (const [other, { expiresAt }] of this.#entries) if (expiresAt <= now) this.#entries.delete(other);
    return Promise.resolve(entry === undefined || entry.expiresAt <= now ? null : entry.value);
  }
}
