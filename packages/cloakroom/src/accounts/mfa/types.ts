/**
 * A user's TOTP state as stored. The secrets are never stored in the clear: `secret` and `pendingSecret` are
 * `TotpSecretBox` ciphertexts (`v1.<key id>.<iv>.<ciphertext>`), bound to the user.
 */
export interface TotpRecord {
  userId: string;
  /** The confirmed secret (two-factor is on), or `null`. */
  secret: string | null;
  /** A secret shown by setup and not yet confirmed with a code, or `null`. */
  pendingSecret: string | null;
  /** The last time step (RFC 6238 `T`) a code was accepted for: a code is accepted for a later step only. */
  lastStep: number | null;
  /** When two-factor was turned on (ms), or `null`. */
  enabledAt: number | null;
}

/**
 * Where a user's second factors live: the TOTP secret and the recovery codes (their SHA-256 only). Every
 * write that decides whether a code passes is one atomic compare-and-set, so two concurrent requests with the
 * same code cannot both pass. `null` means not found; failures reject.
 */
export interface MfaStore {
  findTotp(userId: string): Promise<TotpRecord | null>;
  /** Stores a new unconfirmed secret (creating the record); an enabled secret stays as it is. */
  setPendingTotp(userId: string, pendingSecret: string): Promise<void>;
  /**
   * When the record's pending secret is still `pendingSecret`, makes it the enabled secret, with
   * `lastStep = step` and `enabledAt = now`, and resolves `true`; otherwise changes nothing (`false`).
   */
  enableTotp(userId: string, pendingSecret: string, step: number, now: number): Promise<boolean>;
  /**
   * Records that a code for `step` was accepted, only when TOTP is enabled and no code for this or a later
   * step was accepted before: `true` when it was recorded (the code passes), `false` otherwise (a replay).
   */
  acceptTotpStep(userId: string, step: number): Promise<boolean>;
  /** Deletes the user's TOTP record and recovery codes; `false` when there was no TOTP record. */
  deleteTotp(userId: string): Promise<boolean>;
  /** Replaces the user's recovery codes with these hashes, atomically. */
  replaceRecoveryCodes(userId: string, hashes: readonly string[], now: number): Promise<void>;
  /** The hashes of the user's unused recovery codes. */
  listRecoveryCodes(userId: string): Promise<string[]>;
  /** Deletes one recovery code; `true` for the one caller that deleted it, `false` when it was not there. */
  useRecoveryCode(userId: string, hash: string): Promise<boolean>;
}

/** A password sign-in waiting for its second factor, as stored: the SHA-256 of its token, never the token. */
export interface PendingSignInRecord {
  /** SHA-256 of the token, base64url: the lookup key. */
  hash: string;
  userId: string;
  /** What the first step proved (RFC 8176), e.g. `['pwd']`. */
  amr: string[];
  createdAt: number;
  expiresAt: number;
}

/**
 * Where pending sign-ins live (short-lived: minutes). `consume` removes the record it returns, so a pending
 * sign-in completes at most once even under concurrent requests.
 */
export interface PendingSignInStore {
  create(record: PendingSignInRecord): Promise<void>;
  /** The record with this hash, or `null`; does not use it. Expiry is the caller's check. */
  find(hash: string): Promise<PendingSignInRecord | null>;
  /** Deletes the record with this hash and resolves to it; `null` when it was not there. */
  consume(hash: string): Promise<PendingSignInRecord | null>;
  /** Deletes records that expired at or before `before`. */
  deleteExpired(before: number): Promise<number>;
}
