/**
 * Short-lived, single-use server-side records for federation: the pre-login record of a sign-in in
 * progress (its `state`, `nonce` and PKCE verifier), the `jti` of each back-channel logout token seen (replay
 * protection), and the local session a provider session (`sid`) signed in. Keys are opaque strings (the
 * callers hash anything secret); values are opaque strings; times are milliseconds since the epoch.
 */
export interface FederationStateStore {
  /**
   * Stores `value` under `key` until `expiresAt`, unless a live (unexpired at `now`) entry already holds the
   * key: resolves `true` when stored, `false` when the key was taken. Atomic: of two concurrent adds of one
   * key, one wins.
   */
  add(key: string, value: string, expiresAt: number, now: number): Promise<boolean>;
  /** Stores `value` under `key` until `expiresAt`, replacing any entry. */
  put(key: string, value: string, expiresAt: number, now: number): Promise<void>;
  /**
   * Removes the key's entry and resolves to its value if it was live at `now`, else `null`. Atomic (a
   * single DELETE … RETURNING, GETDEL): of two concurrent takes of one key, only one gets the value.
   */
  take(key: string, now: number): Promise<string | null>;
  /**
   * Adds `member` to the set under `key` (a namespace apart from the single entries above), kept until
   * `expiresAt`; adding a member again moves its expiry to the later of the two. Each member expires on its
   * own. The site keeps here every local session one provider session signed in.
   */
  addMember(key: string, member: string, expiresAt: number, now: number): Promise<void>;
  /**
   * Removes the set under `key` and resolves to its members live at `now` (`[]` when none). Atomic: of two
   * concurrent takes, each member goes to one of them only.
   */
  takeMembers(key: string, now: number): Promise<string[]>;
  /** Drops entries and set members that expired at or before `now`; resolves to how many. */
  deleteExpired(now: number): Promise<number>;
}
