/**
 * A registered passkey (a WebAuthn public-key credential) as the store keeps it. Only the public key is
 * stored: a passkey holds no secret on the server.
 */
export interface PasskeyRecord {
  /** The credential id, base64url (what the authenticator names it by; unique across users). */
  id: string;
  userId: string;
  /** The credential's COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter last seen (0 for authenticators that keep none, as synced passkeys). */
  counter: number;
  /** How the browser can reach the authenticator (`internal`, `hybrid`, `usb`, …), as it reported them. */
  transports: string[];
  /** Backup eligible (BE flag): a multi-device credential that may be synced. Fixed at registration. */
  backupEligible: boolean;
  /** Backed up (BS flag) at its last use. */
  backedUp: boolean;
  /** A name for people ("Passkey 1", or the one the user gave). */
  name: string;
  createdAt: number;
  /** When it last signed a sign-in, or `null` if never since it was added. */
  lastUsedAt: number | null;
}

/** What one successful use changes on a passkey. */
export interface PasskeyUse {
  counter: number;
  backedUp: boolean;
  lastUsedAt: number;
}

/** Where passkeys live, beside the users. `null` means not found; failures reject. */
export interface PasskeyStore {
  /** Inserts a passkey; resolves `false` (and changes nothing) when its credential id is already registered. */
  create(record: PasskeyRecord): Promise<boolean>;
  findById(id: string): Promise<PasskeyRecord | null>;
  /** The user's passkeys, oldest first. */
  listByUser(userId: string): Promise<PasskeyRecord[]>;
  /**
   * Records a use, atomically and only if the counter moved forward: `use.counter` above the stored one, or
   * both 0 (authenticators without a counter). Resolves `false` (nothing changed) otherwise, or when the
   * passkey is gone: two racing assertions of one counter value cannot both succeed.
   */
  recordUse(id: string, use: PasskeyUse): Promise<boolean>;
  /** Deletes the user's passkey; resolves `false` when the user has no passkey with this id. */
  delete(userId: string, id: string): Promise<boolean>;
  /**
   * Deletes all the user's passkeys (the account is being deleted) and resolves to how many went. Every
   * store implements it, also those whose rows go with their user by a foreign key: a store that keeps
   * passkeys apart from the users (memory, Redis) has no other way to learn of the deletion.
   */
  deleteByUser(userId: string): Promise<number>;
}

/**
 * Where WebAuthn challenges wait between the options and the response: short-lived, single-use records under
 * opaque keys. Every `FederationStateStore` of `cloakroom/federation` (memory, SQLite, PostgreSQL, Redis) is
 * one, so a site keeps its challenges where it keeps its sign-in state; {@link MemoryPasskeyChallengeStore}
 * is for tests and a single process.
 */
export interface PasskeyChallengeStore {
  /** Stores `value` under `key` until `expiresAt`, replacing any entry. */
  put(key: string, value: string, expiresAt: number, now: number): Promise<void>;
  /**
   * Stores `value` under `key` until `expiresAt` unless a live entry holds the key: `false` when it was
   * taken. Atomic.
   */
  add(key: string, value: string, expiresAt: number, now: number): Promise<boolean>;
  /** Removes the key's entry and resolves to its value if it was live at `now`, else `null`. Atomic. */
  take(key: string, now: number): Promise<string | null>;
}
