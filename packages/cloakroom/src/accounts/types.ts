/** A user as the rest of the application sees it. */
export interface AccountUser {
  id: string;
  email: string;
}

/** A user as the account store keeps it. `passwordHash` is `null` for an account with no password. */
export interface UserRecord extends AccountUser {
  passwordHash: string | null;
  createdAt: number;
}

/** Where accounts live. `null` means not found; failures reject. */
export interface UserStore {
  findByEmail(email: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /** Inserts a user; rejects with `EmailTakenError` when the (normalized) email is taken. */
  create(user: UserRecord): Promise<void>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
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
