import { EmailTakenError } from '../errors.js';
import type { AttemptRecord, AttemptStore, UserRecord, UserStore } from '../types.js';

/** Users in a `Map`: for tests and examples. */
export class MemoryUserStore implements UserStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByEmail = new Map<string, string>();

  findByEmail(email: string): Promise<UserRecord | null> {
    const id = this.#idByEmail.get(email);
    return Promise.resolve(id === undefined ? null : (this.#byId.get(id) ?? null));
  }

  findById(id: string): Promise<UserRecord | null> {
    return Promise.resolve(this.#byId.get(id) ?? null);
  }

  create(user: UserRecord): Promise<void> {
    if (this.#idByEmail.has(user.email)) return Promise.reject(new EmailTakenError());
    this.#byId.set(user.id, { ...user });
    this.#idByEmail.set(user.email, user.id);
    return Promise.resolve();
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const user = this.#byId.get(id);
    if (user !== undefined) this.#byId.set(id, { ...user, passwordHash });
    return Promise.resolve();
  }
}

/** Attempt counters in a `Map`: for tests and single-process use. */
export class MemoryAttemptStore implements AttemptStore {
  readonly #records = new Map<string, AttemptRecord>();

  // Records go in and out as copies, as they would through a real store.
  get(key: string): Promise<AttemptRecord | null> {
    const record = this.#records.get(key);
    return Promise.resolve(record === undefined ? null : { ...record });
  }

  recordFailure(key: string, now: number, windowMs: number): Promise<AttemptRecord> {
    const current = this.#records.get(key);
    const record =
      current === undefined || current.windowStartedAt <= now - windowMs
        ? { failures: 1, windowStartedAt: now, lastFailureAt: now }
        : { ...current, failures: current.failures + 1, lastFailureAt: now };
    this.#records.set(key, record);
    return Promise.resolve({ ...record });
  }

  forgiveFailure(key: string, now: number, windowMs: number): Promise<void> {
    const current = this.#records.get(key);
    if (current !== undefined && current.windowStartedAt > now - windowMs && current.failures > 0) {
      this.#records.set(key, { ...current, failures: current.failures - 1 });
    }
    return Promise.resolve();
  }

  clear(key: string): Promise<void> {
    this.#records.delete(key);
    return Promise.resolve();
  }

  deleteExpired(before: number): Promise<number> {
    let removed = 0;
    for (const [key, record] of this.#records) {
      if (record.windowStartedAt <= before && this.#records.delete(key)) removed++;
    }
    return Promise.resolve(removed);
  }
}
