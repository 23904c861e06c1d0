import type { MfaStore, PendingSignInRecord, PendingSignInStore, TotpRecord } from '../types.js';

/** TOTP secrets and recovery codes in `Map`s: for tests and single-process use. */
export class MemoryMfaStore implements MfaStore {
  readonly #totp = new Map<string, TotpRecord>();
  readonly #codes = new Map<string, Set<string>>();

  findTotp(userId: string): Promise<TotpRecord | null> {
    const record = this.#totp.get(userId);
    return Promise.resolve(record === undefined ? null : { ...record });
  }

  setPendingTotp(userId: string, pendingSecret: string): Promise<void> {
    const record = this.#totp.get(userId) ?? {
      userId,
      secret: null,
      pendingSecret: null,
      lastStep: null,
      enabledAt: null,
    };
    this.#totp.set(userId, { ...record, pendingSecret });
    return Promise.resolve();
  }

  enableTotp(userId: string, pendingSecret: string, step: number, now: number): Promise<boolean> {
    const record = this.#totp.get(userId);
    if (record?.pendingSecret !== pendingSecret) return Promise.resolve(false);
    this.#totp.set(userId, {
      userId,
      secret: pendingSecret,
      pendingSecret: null,
      lastStep: step,
      enabledAt: now,
    });
    return Promise.resolve(true);
  }

  acceptTotpStep(userId: string, step: number): Promise<boolean> {
    const record = this.#totp.get(userId);
    if (record?.secret == null || (record.lastStep !== null && record.lastStep >= step)) {
      return Promise.resolve(false);
    }
    this.#totp.set(userId, { ...record, lastStep: step });
    return Promise.resolve(true);
  }

  deleteTotp(userId: string): Promise<boolean> {
    this.#codes.delete(userId);
    return Promise.resolve(this.#totp.delete(userId));
  }

  replaceRecoveryCodes(userId: string, hashes: readonly string[], _now: number): Promise<void> {
    this.#codes.set(userId, new Set(hashes));
    return Promise.resolve();
  }

  listRecoveryCodes(userId: string): Promise<string[]> {
    return Promise.resolve([...(this.#codes.get(userId) ?? [])]);
  }

  useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    return Promise.resolve(this.#codes.get(userId)?.delete(hash) ?? false);
  }
}

/** Pending sign-ins in a `Map`: for tests and single-process use. */
export class MemoryPendingSignInStore implements PendingSignInStore {
  readonly #records = new Map<string, PendingSignInRecord>();

  create(record: PendingSignInRecord): Promise<void> {
    this.#records.set(record.hash, { ...record, amr: [...record.amr] });
    return Promise.resolve();
  }

  find(hash: string): Promise<PendingSignInRecord | null> {
    const record = this.#records.get(hash);
    return Promise.resolve(record === undefined ? null : { ...record, amr: [...record.amr] });
  }

  consume(hash: string): Promise<PendingSignInRecord | null> {
    const record = this.#records.get(hash);
    if (record === undefined) return Promise.resolve(null);
    this.#records.delete(hash);
    return Promise.resolve(record);
  }

  deleteExpired(before: number): Promise<number> {
    let removed = 0;
    for (const [hash, record] of this.#records) {
      if (record.expiresAt <= before && this.#records.delete(hash)) removed++;
    }
    return Promise.resolve(removed);
  }
}
