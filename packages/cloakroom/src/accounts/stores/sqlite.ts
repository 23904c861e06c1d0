import type { Database, Statement } from 'better-sqlite3';
import { EmailTakenError } from '../errors.js';
import type { AttemptRecord, AttemptStore, UserRecord, UserStore } from '../types.js';
import type { SqliteMigrationComponent } from '../../lib/sqlite/registry.js';
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
`;

/** The session store's `users` option for these tables: validation brings `{ id, email }`. */
export const ACCOUNT_USERS_JOIN = { table: 'users', columns: ['id', 'email'] } as const;

/** The account tables as a component of a database's `SqliteMigrations`. */
export const SQLITE_ACCOUNT_MIGRATIONS: SqliteMigrationComponent = { component: 'accounts', sql: SCHEMA };

/** Creates the account tables if they are missing. */
export function migrateAccounts(db: Database): void {
  db.exec(SQLITE_ACCOUNT_MIGRATIONS.sql);
}

interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  created_at: number;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  createdAt: row.created_at,
});

export class SqliteUserStore implements UserStore {
  readonly #byEmail: Statement;
  readonly #byId: Statement;
  readonly #insert: Statement;
  readonly #setHash: Statement;

  constructor(db: Database) {
    migrateAccounts(db);
    this.#byEmail = db.prepare('SELECT id, email, password_hash, created_at FROM users WHERE email = ?');
    this.#byId = db.prepare('SELECT id, email, password_hash, created_at FROM users WHERE id = ?');
    this.#insert = db.prepare(
      'INSERT INTO users (id, email, password_hash, created_at) VALUES (@id, @email, @passwordHash, @createdAt)',
    );
    this.#setHash = db.prepare('UPDATE users SET password_hash = ? WHERE id = ?');
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
        this.#insert.run(user);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new EmailTakenError();
        throw error;
      }
    });
  }

  setPasswordHash(id: string, passwordHash: string): Promise<void> {
    return settle(() => {
      this.#setHash.run(passwordHash, id);
    });
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
