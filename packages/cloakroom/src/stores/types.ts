/**
 * What a store keeps for one session. Times are milliseconds since the epoch. Records are never mutated
 * once handed to or returned by a store: an update is a new record.
 */
export interface SessionRecord {
  /** The public handle: the store key, shown in "your sessions" lists. */
  readonly id: string;
  readonly userId: string;
  /** SHA-256 of the token's secret; the secret itself is never stored. */
  readonly secretHash: Uint8Array;
  readonly createdAt: number;
  /** Last time a request used the session, recorded at most once per touch interval. */
  readonly lastSeenAt: number;
  /** When the session expires unless used again: idle expiry, never past `absoluteExpiresAt`. */
  readonly expiresAt: number;
  /** The hard end of the session, which sliding renewal never moves. */
  readonly absoluteExpiresAt: number;
  readonly userAgent: string | null;
  readonly ip: string | null;
  /**
   * When the user last proved who they are for this session (sign-in or re-authentication), ms since the
   * epoch. A record written before the field existed reads back with `createdAt`.
   */
  readonly authTime: number;
  /**
   * How they proved it: RFC 8176 authentication method references (`pwd`, `otp`, `hwk`, `swk`, `mfa`,
   * `fed`, ...), at most 8 short tokens (`checkAmr` in `cloakroom/stores`). `[]` when unknown,
   * as for a record written before the field existed.
   */
  readonly amr: readonly string[];
  /** Incremented by every update; updates are compare-and-set on it. */
  readonly version: number;
}

/** The user a store returns beside the session when it has no user source of its own. */
export interface SessionUser {
  id: string;
}

/** A session and its user, read in one store round trip. `user` is `null` when the user no longer exists. */
export interface StoredSession<U> {
  session: SessionRecord;
  user: U | null;
}

/** The sliding-expiry update a touch applies, if the record still has `version`. */
export interface SessionTouch {
  lastSeenAt: number;
  expiresAt: number;
  version: number;
}

/**
 * The store every session backend implements. Promise-based; `null` means "not found"; a failure rejects
 * (the session layer turns it into `store_unavailable`, never into a sign-in or a sign-out).
 */
export interface SessionStore<U = SessionUser> {
  /** The session with this id and its user, or `null`. May return an expired record: callers check times. */
  get(id: string): Promise<StoredSession<U> | null>;
  /** Inserts a new session, kept until `expiresAt`. Insert-only: an existing id is an error, never replaced. */
  create(session: SessionRecord): Promise<void>;
  /**
   * Applies a sliding renewal when the stored version is `touch.version`, storing version + 1. Resolves to
   * `false` (and changes nothing) when the session is gone or was changed meanwhile, so a late touch can
   * never bring back a revoked session.
   */
  touch(id: string, touch: SessionTouch): Promise<boolean>;
  /**
   * Atomically swaps the session `id` (if it still has `version`) for `next`, a new id with a new secret:
   * rotation. Resolves to `false` and stores nothing when `id` is gone or was changed meanwhile, so a
   * rotation racing a sign-out cannot leave a live successor behind.
   */
  replace(id: string, version: number, next: SessionRecord): Promise<boolean>;
  /** Removes the session; removing a missing one is not an error. */
  delete(id: string): Promise<void>;
  /** Per-user listing, bulk revocation and sweeping, when the store can do them. */
  readonly index?: SessionIndex;
  /**
   * Reads answered without waiting, for in-process stores (memory, SQLite): validation then settles its one
   * promise directly instead of awaiting the store's. A store that wraps another must not forward it unless
   * its own `get` adds nothing to the inner store's.
   */
  readonly immediate?: ImmediateRead<U>;
  /**
   * Optional: 2 base64url characters the store wants in front of every new session id of `userId` (the
   * session layer adds them to the id's 96 random bits). The Redis store puts the user's Cluster hash tag
   * there, so it finds a session's slot from its id alone. A store that wraps another forwards it.
   */
  sessionIdTag?(userId: string): string;
}

/** The optional ability of stores whose reads need no I/O; see `SessionStore.immediate`. */
export interface ImmediateRead<U> {
  /**
   * What `get(id)` would resolve to, returned as it is, or a promise of it when part of the read has to be
   * awaited (e.g. an asynchronous user loader). Throws where `get` would reject.
   */
  getNow(id: string): StoredSession<U> | null | Promise<StoredSession<U> | null>;
}

/** The optional abilities: a user's sessions, and expiry sweeps. */
export interface SessionIndex {
  /** The user's sessions; may include expired ones not yet removed (callers filter by time). */
  listByUser(userId: string): Promise<SessionRecord[]>;
  /** Removes all of the user's sessions except `except`; resolves to the number removed. */
  deleteByUser(userId: string, options?: { except?: string }): Promise<number>;
  /** Removes sessions whose `expiresAt` is at or before `now`; resolves to the number removed. */
  deleteExpired(now: number): Promise<number>;
  /** Counting the store's sessions, when the backend can do it (operators' statistics). */
  readonly counter?: SessionCounter;
}

/** How many sessions a store holds at one instant. */
export interface SessionCounts {
  /** Sessions whose `expiresAt` is after `now`. */
  live: number;
  /**
   * Sessions (or, in Redis, index entries whose session the TTL already removed) expired at `now` and still
   * kept: what the next `deleteExpired(now)` would remove.
   */
  expired: number;
}

/**
 * The optional ability of a {@link SessionIndex} to count every session (`cloakroom admin stats`). Not a
 * request path: it may cost O(sessions) (a SQL `COUNT`, a Redis SCAN). Stores that cannot count without a
 * full table scan they are not built for (DynamoDB) leave it out.
 */
export interface SessionCounter {
  /** Live and expired-but-kept sessions at `now` (ms). */
  countSessions(now: number): Promise<SessionCounts>;
}

/**
 * How a remote store keeps user snapshots beside sessions (written by the store's `setUser`, removed by its
 * `deleteUser`), so a validation brings the user without asking the user database.
 */
export interface UserSnapshotOptions<U> {
  /** Default `JSON.stringify`. */
  serialize?: (user: U) => string;
  /** Default `JSON.parse`. */
  parse?: (text: string) => U;
}
