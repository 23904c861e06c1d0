import type { Database, Statement } from 'better-sqlite3';
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
import { applySqliteComponent, type SqliteMigrationComponent } from '../../lib/sqlite/registry.js';
import { settle } from '../../lib/sqlite/settle.js';

/**
 * The account tables, in the same SQLite database as the sessions, so the session store can join the user
 * (`new SqliteStore(db, { users: ACCOUNT_USERS_JOIN })`) and throttling state holds across processes.
 */
const SCHEMA = `
  CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS cloakroom_attempts (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_attempts_window ON cloakroom_attempts (window_started_at);
  CREATE TABLE IF NOT EXISTS cloakroom_one_time_tokens (
    hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_one_time_tokens_user ON cloakroom_one_time_tokens (user_id, purpose);
  CREATE INDEX IF NOT EXISTS cloakroom_one_time_tokens_expiry ON cloakroom_one_time_tokens (expires_at);
`;

/** The session store's `users` option for these tables: validation brings `{ id, email }`. */
export const ACCOUNT_USERS_JOIN = { table: 'users', columns: ['id', 'email'] } as const;

/**
 * The account tables as a component of a database's `SqliteMigrations`. `users.email_verified` came with
 * account recovery: databases made before it gain the column (unverified) when they are next opened.
 */
export const SQLITE_ACCOUNT_MIGRATIONS: SqliteMigrationComponent = {
  component: 'accounts',
  sql: SCHEMA,
  columns: [
    { table: 'users', name: 'email_verified', definition: 'INTEGER NOT NULL DEFAULT 0' },
    // Operator locks (`cloakroom admin lock`): ms since the epoch, NULL when not locked.
    { table: 'users', name: 'locked_at', definition: 'INTEGER' },
  ],
};

/** Creates the account tables if they are missing, and adds the columns they lack. */
export function migrateAccounts(db: Database): void {
  applySqliteComponent(db, SQLITE_ACCOUNT_MIGRATIONS);
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  created_at: number;
  email_verified: number;
  locked_at: number | null;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
  emailVerified: row.email_verified === 1,
  lockedAt: row.locked_at,
});

const isUniqueViolation = (error: unknown) =>
  (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';

export class SqliteUserStore implements RecoveryUserStore, UserLockStore {
  readonly #byEmail: Statement;
  readonly #byId: Statement;
  readonly #insert: Statement;
  readonly #setHash: Statement;
  readonly #markVerified: Statement;
  readonly #changeEmail: Statement;
  readonly #delete: Statement;
  readonly #setLockedAt: Statement;

  constructor(db: Database) {
    migrateAccounts(db);
    const columns = 'id, email, password_hash, created_at, email_verified, locked_at';
    this.#byEmail = db.prepare(`SELECT ${columns} FROM users WHERE email = ?`);
    this.#byId = db.prepare(`SELECT ${columns} FROM users WHERE id = ?`);
    this.#setLockedAt = db.prepare('UPDATE users SET locked_at = ? WHERE id = ?');
    this.#insert = db.prepare(
      'INSERT INTO users (id, email, password_hash, created_at, email_verified) ' +
        'VALUES (@id, @email, @passwordHash, @createdAt, @emailVerified)',
    );
    this.#setHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');
    this.#markVerified = db.prepare('UPDATE users SET email_verified = 1 WHERE id = ? AND email = ?');
    this.#changeEmail = db.prepare('UPDATE users SET email = ?, email_verified = 1 WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM users WHERE id = ?');
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return settle(() => {
      const row = this.#byEmail.get(email) as UserRow | undefined;
      return row === undefined ? null : toUser(row);
    });
  }

  findById(id: string): Promise<UserRecord | null> {
    return settle(() => {
      const row = this.#byId.get(id) as UserRow | undefined;
      return row === undefined ? null : toUser(row);
    });
  }

  create(user: UserRecord): Promise<void> {
    return settle(() => {
      try {
        this.#insert.run({ ...user, emailVerified: user.emailVerified === true ? 1 : 0 });
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError();
        throw error;
      }
    });
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    return settle(() => {
      this.#setHash.run(passwordHash, id);
    });
  }

  markEmailVerified(id: string, email: string): Promise<boolean> {
    return settle(() => this.#markVerified.run(id, email).changes > 0);
  }

  changeEmail(id: string, email: string): Promise<boolean> {
    return settle(() => {
      try {
        return this.#changeEmail.run(email, id).changes > 0;
      } catch (error) {
        if (isUniqueViolation(error)) throw new EmailTakenError();
        throw error;
      }
    });
  }

  deleteUser(id: string): Promise<boolean> {
    return settle(() => this.#delete.run(id).changes > 0);
  }

  setLockedAt(id: string, lockedAt: number | null): Promise<boolean> {
    return settle(() => this.#setLockedAt.run(lockedAt, id).changes > 0);
  }
}

interface OneTimeTokenRow {
  hash: string;
  user_id: string;
  purpose: OneTimeTokenPurpose;
  email: string;
  created_at: number;
  expires_at: number;
}

const toOneTimeToken = (row: OneTimeTokenRow): OneTimeTokenRecord => ({
  hash: row.hash,
  userId: row.user_id,
  purpose: row.purpose,
  email: row.email,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

/** One-time tokens (hashed) in the accounts' SQLite database; a user's tokens go with the user. */
export class SqliteOneTimeTokenStore implements OneTimeTokenStore {
  readonly #issue: (record: OneTimeTokenRecord) => void;
  readonly #find: Statement;
  readonly #consume: Statement;
  readonly #deleteByUser: Statement;
  readonly #deleteByUserPurpose: Statement;
  readonly #deleteExpired: Statement;

  constructor(db: Database) {
    migrateAccounts(db);
    const columns = 'hash, user_id, purpose, email, created_at, expires_at';
    const supersede = db.prepare('DELETE FROM cloakroom_one_time_tokens WHERE user_id = ? AND purpose = ?');
    const insert = db.prepare(
      `INSERT INTO cloakroom_one_time_tokens (${columns}) ` +
        'VALUES (@hash, @userId, @purpose, @email, @createdAt, @expiresAt)',
    );
    this.#issue = db.transaction((record: OneTimeTokenRecord) => {
      supersede.run(record.userId, record.purpose);
      insert.run(record);
    });
    this.#find = db.prepare(`SELECT ${columns} FROM cloakroom_one_time_tokens WHERE hash = ?`);
    // One statement: of two concurrent uses, only one gets the row back.
    this.#consume = db.prepare(
      'DELETE FROM cloakroom_one_time_tokens WHERE hash = ? AND purpose IN (SELECT value FROM json_each(?)) ' +
        `RETURNING ${columns}`,
    );
    this.#deleteByUser = db.prepare('DELETE FROM cloakroom_one_time_tokens WHERE user_id = ?');
    this.#deleteByUserPurpose = supersede;
    this.#deleteExpired = db.prepare('DELETE FROM cloakroom_one_time_tokens WHERE expires_at <= ?');
  }

  issue(record: OneTimeTokenRecord): Promise<void> {
    return settle(() => {
      this.#issue(record);
    });
  }

  find(hash: string): Promise<OneTimeTokenRecord | null> {
    return settle(() => {
      const row = this.#find.get(hash) as OneTimeTokenRow | undefined;
      return row === undefined ? null : toOneTimeToken(row);
    });
  }

  consume(hash: string, purposes: readonly OneTimeTokenPurpose[]): Promise<OneTimeTokenRecord | null> {
    return settle(() => {
      const row = this.#consume.get(hash, JSON.stringify(purposes)) as OneTimeTokenRow | undefined;
      return row === undefined ? null : toOneTimeToken(row);
    });
  }

  deleteByUser(userId: string, purpose?: OneTimeTokenPurpose): Promise<void> {
    return settle(() => {
      if (purpose === undefined) this.#deleteByUser.run(userId);
      else this.#deleteByUserPurpose.run(userId, purpose);
    });
  }

  deleteExpired(before: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(before).changes);
  }
}

interface AttemptRow {
  failures: number;
  window_started_at: number;
  last_failure_at: number;
}

export class SqliteAttemptStore implements AttemptStore {
  readonly #get: Statement;
  readonly #record: Statement;
  readonly #forgive: Statement;
  readonly #clear: Statement;
  readonly #deleteExpired: Statement;

  constructor(db: Database) {
    migrateAccounts(db);
    this.#get = db.prepare(
      'SELECT failures, window_started_at, last_failure_at FROM cloakroom_attempts WHERE key = ?',
    );
    // One statement, so concurrent processes cannot lose a count between a read and a write.
    this.#record = db.prepare(`
      INSERT INTO cloakroom_attempts (key, failures, window_started_at, last_failure_at)
      VALUES (@key, 1, @now, @now)
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN window_started_at <= @now - @windowMs THEN 1 ELSE failures + 1 END,
        window_started_at = CASE WHEN window_started_at <= @now - @windowMs THEN @now ELSE window_started_at END,
        last_failure_at = @now
      RETURNING failures, window_started_at, last_failure_at`);
    this.#forgive = db.prepare(`
      UPDATE cloakroom_attempts SET failures = failures - 1
      WHERE key = @key AND window_started_at > @now - @windowMs AND failures > 0`);
    this.#clear = db.prepare('DELETE FROM cloakroom_attempts WHERE key = ?');
    this.#deleteExpired = db.prepare('DELETE FROM cloakroom_attempts WHERE window_started_at <= ?');
  }

  get(key: string): Promise<AttemptRecord | null> {
    return settle(() => {
      const row = this.#get.get(key) as AttemptRow | undefined;
      return row === undefined ? null : toAttempt(row);
    });
  }

  recordFailure(key: string, now: number, windowMs: number): Promise<AttemptRecord> {
    return settle(() => toAttempt(this.#record.get({ key, now, windowMs }) as AttemptRow));
  }

  forgiveFailure(key: string, now: number, windowMs: number): Promise<void> {
    return settle(() => {
      this.#forgive.run({ key, now, windowMs });
    });
  }

  clear(key: string): Promise<void> {
    return settle(() => {
      this.#clear.run(key);
    });
  }

  deleteExpired(before: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(before).changes);
  }
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    failures: row.failures,
    windowStartedAt: row.window_started_at,
    lastFailureAt: row.last_failure_at,
  };
}

export {
  SqliteIdentityStore,
  migrateSqliteIdentities,
  SQLITE_IDENTITY_MIGRATIONS,
} from './identities/sqlite.js';
export {
  SqliteMfaStore,
  SqlitePendingSignInStore,
  migrateSqliteMfa,
  SQLITE_MFA_MIGRATIONS,
} from '../mfa/stores/sqlite.js';
export { SqlitePasskeyStore, migrateSqlitePasskeys, SQLITE_PASSKEY_MIGRATIONS } from './passkeys/sqlite.js';
