import { EmailTakenError } from '../errors.js';
import type {
  AttemptRecord,
  AttemptStore,
  OneTimeTokenPurpose,
  OneTimeTokenRecord,
  OneTimeTokenStore,
  RecoveryUserStore,
  UserLockStore,
  UserRecord,
} from '../types.js';

/** Users in a `Map`: for tests and examples. */
export class MemoryUserStore implements RecoveryUserStore, UserLockStore {
  readonly #byId = new Map<string, UserRecord>();
  readonly #idByEmail = new Map<string, string>();

  findByEmail(email: string): Promise<UserRecord | null> {
    const id = this.#idByEmail.get(email);
    return this.findById(id ?? '');
  }

  findById(id: string): Promise<UserRecord | null> {
    const user = this.#byId.get(id);
    return Promise.resolve(user === undefined ? null : { ...user });
  }

  create(user: UserRecord): Promise<void> {
    if (this.#idByEmail.has(user.email)) return Promise.reject(new EmailTakenError());
    this.#byId.set(user.id, {
      ...user,
      emailVerified: user.emailVerified ?? false,
      lockedAt: user.lockedAt ?? null,
    });
    this.#idByEmail.set(user.email, user.id);
    return Promise.resolve();
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const user = this.#byId.get(id);
    if (user !== undefined) this.#byId.set(id, { ...user, passwordHash });
    return Promise.resolve();
  }

  markEmailVerified(id: string, email: string): Promise<boolean> {
    const user = this.#byId.get(id);
    if (user?.email !== email) return Promise.resolve(false);
    this.#byId.set(id, { ...user, emailVerified: true });
    return Promise.resolve(true);
  }

  changeEmail(id: string, email: string): Promise<boolean> {
    const user = this.#byId.get(id);
    if (user === undefined) return Promise.resolve(false);
    const holder = this.#idByEmail.get(email);
    if (holder !== undefined && holder !== id) return Promise.reject(new EmailTakenError());
    this.#idByEmail.delete(user.email);
    this.#idByEmail.set(email, id);
    this.#byId.set(id, { ...user, email, emailVerified: true });
    return Promise.resolve(true);
  }

  deleteUser(id: string): Promise<boolean> {
    const user = this.#byId.get(id);
    if (user === undefined) return Promise.resolve(false);
    this.#byId.delete(id);
    this.#idByEmail.delete(user.email);
    return Promise.resolve(true);
  }

  setLockedAt(id: string, lockedAt: number | null): Promise<boolean> {
    const user = this.#byId.get(id);
    if (user === undefined) return Promise.resolve(false);
    this.#byId.set(id, { ...user, lockedAt });
    return Promise.resolve(true);
  }
}

/** One-time tokens in a `Map`: for tests and single-process use. */
export class MemoryOneTimeTokenStore implements OneTimeTokenStore {
  readonly #records = new Map<string, OneTimeTokenRecord>();

  issue(record: OneTimeTokenRecord): Promise<void> {
    this.#drop((old) => old.userId === record.userId && old.purpose === record.purpose);
    this.#records.set(record.hash, { ...record });
    return Promise.resolve();
  }

  find(hash: string): Promise<OneTimeTokenRecord | null> {
    const record = this.#records.get(hash);
    return Promise.resolve(record === undefined ? null : { ...record });
  }

  consume(hash: string, purposes: readonly OneTimeTokenPurpose[]): Promise<OneTimeTokenRecord | null> {
    const record = this.#records.get(hash);
    if (record === undefined || !purposes.includes(record.purpose)) return Promise.resolve(null);
    this.#records.delete(hash);
    return Promise.resolve({ ...record });
  }

  deleteByUser(userId: string, purpose?: OneTimeTokenPurpose): Promise<void> {
    this.#drop((old) => old.userId === userId && (purpose === undefined || old.purpose === purpose));
    return Promise.resolve();
  }

  deleteExpired(before: number): Promise<number> {
    return Promise.resolve(this.#drop((old) => old.expiresAt <= before));
  }

  #drop(match: (record: OneTimeTokenRecord) => boolean): number {
    let removed = 0;
    for (const [hash, record] of this.#records) {
      if (match(record) && this.#records.delete(hash)) removed++;
    }
    return removed;
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
