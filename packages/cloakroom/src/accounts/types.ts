/** A user as the rest of the application sees it. */
export interface AccountUser {
  id: string;
  email: string;
}

/** A user as the account store keeps it. `passwordHash` is `null` for an account with no password. */
export interface UserRecord extends AccountUser {
  passwordHash: string | null;
  createdAt: number;
  /**
   * Whether the user proved to own `email` (followed a verification link, or a provider vouched for it).
   * Stores always fill it in when they read; absent when written means `false`.
   */
  emailVerified?: boolean;
  /**
   * When an operator locked the account (`cloakroom admin lock`), or `null`: a locked account cannot sign
   * in. Stores that keep locks (every store Cloakroom ships) always fill it in when they read; absent when
   * written means not locked.
   */
  lockedAt?: number | null;
}

/** Where accounts live. `null` means not found; failures reject. */
export interface UserStore {
  findByEmail(email: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Inserts a user; rejects with `EmailTakenError` when the (normalized) email is taken. */
  create(user: UserRecord): Promise<void>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
}

/**
 * Locking accounts (`cloakroom admin lock`): every user store Cloakroom ships has it. A locked account cannot
 * sign in (`AccountLockedError`, 403 `account_locked`, told only after a correct password).
 */
export interface UserLockStore {
  /** Locks the user at `lockedAt` (ms), or unlocks with `null`. Resolves `false` when there is no such user. */
  setLockedAt(id: string, lockedAt: number | null): Promise<boolean>;
}

/** Failed attempts counted under one key (an account or an address) in a fixed window. */
export interface AttemptRecord {
  failures: number;
  windowStartedAt: number;
  lastFailureAt: number;
}

/**
 * Where sign-in throttling state lives: in the shared store, so the limits hold across processes. Keys are
 * opaque (hashed) strings.
 */
export interface AttemptStore {
  get(key: string): Promise<AttemptRecord | null>;
  /**
   * Atomically counts one failure at `now`: a new window of 1 when the key's window (of `windowMs`) has ended
   * or there is none, else one more. Resolves to the record after the update.
   */
  recordFailure(key: string, now: number, windowMs: number): Promise<AttemptRecord>;
  /**
   * Atomically takes back one failure counted under `key`, when its window (of `windowMs`) is still running at
   * `now` and it has any; otherwise does nothing. Sign-in counts an attempt against the client's address before
   * the password is checked (so parallel attempts see each other) and takes it back when the attempt succeeds.
   */
  forgiveFailure(key: string, now: number, windowMs: number): Promise<void>;
  clear(key: string): Promise<void>;
  /** Drops records whose window started at or before `before`. */
  deleteExpired(before: number): Promise<number>;
}

/**
 * The user-store abilities account recovery needs on top of {@link UserStore} (every store Cloakroom ships has
 * them): marking an address verified, changing it, and deleting the account.
 */
export interface RecoveryUserStore extends UserStore {
  /**
   * Marks the user's address verified, only while it is still `email` (a link for an address the user has
   * since left verifies nothing). Resolves `false` when nothing changed that way.
   */
  markEmailVerified(id: string, email: string): Promise<boolean>;
  /**
   * Sets the user's address to `email`, verified. Rejects with `EmailTakenError` when another account has it;
   * resolves `false` when the user is gone.
   */
  changeEmail(id: string, email: string): Promise<boolean>;
  /**
   * Deletes the user; what refers to it in the same database (identity links, a site's own rows) goes with it
   * by `ON DELETE CASCADE`. Resolves `false` when there was no such user.
   */
  deleteUser(id: string): Promise<boolean>;
}

/** What a one-time link is for. `change_email` carries the new address, applied when the link is followed. */
export type OneTimeTokenPurpose = 'verify_email' | 'reset_password' | 'change_email';

/** A one-time token as stored: never the token itself, only its SHA-256. */
export interface OneTimeTokenRecord {
  /** SHA-256 of the token, base64url: the lookup key. */
  hash: string;
  userId: string;
  purpose: OneTimeTokenPurpose;
  /** The address the link was sent to (checked against the account when it is followed). */
  email: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Where one-time tokens live. Invariants: one live token per (user, purpose) — `issue` supersedes the older
 * ones in the same atomic step; `consume` removes the token it returns, so a token is used at most once even
 * under concurrent requests.
 */
export interface OneTimeTokenStore {
  /** Stores `record` and deletes every other token of the same user and purpose, atomically. */
  issue(record: OneTimeTokenRecord): Promise<void>;
  /** The token with this hash, or `null`; does not use it. */
  find(hash: string): Promise<OneTimeTokenRecord | null>;
  /**
   * Deletes the token with this hash when its purpose is one of `purposes`, and resolves to it; `null` (and
   * nothing deleted) otherwise. Expiry is the caller's check.
   */
  consume(hash: string, purposes: readonly OneTimeTokenPurpose[]): Promise<OneTimeTokenRecord | null>;
  /** Deletes every token of the user (of one purpose, when given). */
  deleteByUser(userId: string, purpose?: OneTimeTokenPurpose): Promise<void>;
  /** Deletes tokens that expired at or before `before`. */
  deleteExpired(before: number): Promise<number>;
}
