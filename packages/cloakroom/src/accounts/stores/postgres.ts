import type { Pool } from 'pg';
import { EmailTakenError } from '../errors.js';
import { runMigrations } from '../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../lib/postgres/registry.js';
import { guardPool } from '../../lib/postgres/pool.js';
import { qualify, quoteIdentifier, type Migration } from '../../lib/postgres/sql.js';
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

export interface PostgresAccountsOptions {
  /** The schema of `users`, `cloakroom_attempts` and `cloakroom_migrations`. Default: the search path. */
  schema?: string;
}

const EMAIL_CONSTRAINT = 'users_email_key';

function accountMigrations(schema: string | null): Migration[] {
  const users = qualify(schema, 'users', 'table');
  const attempts = qualify(schema, 'cloakroom_attempts', 'table');
  const tokens = qualify(schema, 'cloakroom_one_time_tokens', 'table');
  return [
    {
      version: 1,
      description: 'users, and sign-in attempts by key',
      sql: `
        CREATE TABLE ${users} (
          id text PRIMARY KEY,
          email text NOT NULL CONSTRAINT ${quoteIdentifier(EMAIL_CONSTRAINT, 'constraint')} UNIQUE,
          password_hash text,
          created_at bigint NOT NULL
        );
        CREATE TABLE ${attempts} (
          key text PRIMARY KEY,
          failures integer NOT NULL,
          window_started_at bigint NOT NULL,
          last_failure_at bigint NOT NULL
        );
        CREATE INDEX cloakroom_attempts_window ON ${attempts} (window_started_at);
      `,
    },
    {
      version: 2,
      description: 'account recovery: verified addresses, and one-time tokens (hashed)',
      sql: `
        ALTER TABLE ${users} ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
        CREATE TABLE ${tokens} (
          hash text PRIMARY KEY,
          user_id text NOT NULL REFERENCES ${users} (id) ON DELETE CASCADE,
          purpose text NOT NULL,
          email text NOT NULL,
          created_at bigint NOT NULL,
          expires_at bigint NOT NULL
        );
        CREATE INDEX cloakroom_one_time_tokens_user ON ${tokens} (user_id, purpose);
        CREATE INDEX cloakroom_one_time_tokens_expiry ON ${tokens} (expires_at);
      `,
    },
    {
      version: 3,
      description: 'operator locks (cloakroom admin lock): users.locked_at, ms, NULL when not locked',
      sql: `ALTER TABLE ${users} ADD COLUMN locked_at bigint;`,
    },
  ];
}

/** The account tables (`users`, `cloakroom_attempts`) as a component of a database's `PostgresMigrations`. */
export const POSTGRES_ACCOUNT_MIGRATIONS: PostgresMigrationComponent = {
  component: 'accounts',
  migrations: accountMigrations,
};

/**
 * Creates or upgrades the account tables (`users`, `cloakroom_attempts`), through the same recorded,
 * advisory-locked migrations as the session store; safe on every start, from several processes at once.
 */
export function migratePostgresAccounts(
  pool: Pool,
  options: PostgresAccountsOptions = {},
): Promise<number[]> {
  const schema = options.schema ?? null;
  const { component, migrations } = POSTGRES_ACCOUNT_MIGRATIONS;
  return runMigrations(pool, { schema, component, migrations: migrations(schema) });
}

/**
 * The session store's `users` option for these tables: validation brings `{ id, email }` in its one query
 * (`PostgresStore.create(pool, { users: POSTGRES_ACCOUNT_USERS_JOIN })`).
 */
export const POSTGRES_ACCOUNT_USERS_JOIN = { table: 'users', columns: ['id', 'email'] } as const;

interface UserRow {
  id: string;
  email: string;
  password_hash: string | null;
  created_at: string;
  email_verified: boolean;
  locked_at: string | null;
}

const toUser = (row: UserRow): UserRecord => ({
  id: row.id,
  email: row.email,
  passwordHash: row.password_hash,
  createdAt: Number(row.created_at),
  emailVerified: row.email_verified,
  lockedAt: row.locked_at === null ? null : Number(row.locked_at),
});

/** Only the email's unique constraint means "taken"; an id collision is a plain failure. */
function isEmailTaken(error: unknown): boolean {
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  return code === '23505' && constraint === EMAIL_CONSTRAINT;
}

/**
 * Users in PostgreSQL, beside the sessions so the session store can join them.
 *
 * @example
 * ```ts
 * const users = await PostgresUserStore.create(pool);
 * ```
 */
export class PostgresUserStore implements RecoveryUserStore, UserLockStore {
  readonly #pool: Pool;
  readonly #sql: {
    byEmail: string;
    byId: string;
    insert: string;
    setHash: string;
    markVerified: string;
    changeEmail: string;
    delete: string;
    setLockedAt: string;
  };

  /** Builds the store without touching the database; run `migratePostgresAccounts` (or use `create`) first. */
  constructor(pool: Pool, options: PostgresAccountsOptions = {}) {
    const t = qualify(options.schema ?? null, 'users', 'table');
    const columns = 'id, email, password_hash, created_at, email_verified';
    const read = `${columns}, locked_at`;
    this.#sql = {
      byEmail: `SELECT ${read} FROM ${t} WHERE email = $1`,
      byId: `SELECT ${read} FROM ${t} WHERE id = $1`,
      insert: `INSERT INTO ${t} (${columns}) VALUES ($1, $2, $3, $4, $5)`,
      setLockedAt: `UPDATE ${t} SET locked_at = $2 WHERE id = $1`,
      setHash: `UPDATE ${t} SET password_hash = $2 WHERE id = $1`,
      markVerified: `UPDATE ${t} SET email_verified = true WHERE id = $1 AND email = $2`,
      changeEmail: `UPDATE ${t} SET email = $2, email_verified = true WHERE id = $1`,
      delete: `DELETE FROM ${t} WHERE id = $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies the account migrations. */
  static async create(pool: Pool, options: PostgresAccountsOptions = {}): Promise<PostgresUserStore> {
    await migratePostgresAccounts(pool, options);
    return new PostgresUserStore(pool, options);
  }

  async findByEmail(email: string): Promise<UserRecord | null> {
    const { rows } = await this.#pool.query<UserRow>(this.#sql.byEmail, [email]);
    return rows[0] === undefined ? null : toUser(rows[0]);
  }

  async findById(id: string): Promise<UserRecord | null> {
    const { rows } = await this.#pool.query<UserRow>(this.#sql.byId, [id]);
    return rows[0] === undefined ? null : toUser(rows[0]);
  }

  async create(user: UserRecord): Promise<void> {
    const values = [user.id, user.email, user.passwordHash, user.createdAt, user.emailVerified === true];
    try {
      await this.#pool.query(this.#sql.insert, values);
    } catch (error) {
      if (isEmailTaken(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.#pool.query(this.#sql.setHash, [id, passwordHash]);
  }

  async markEmailVerified(id: string, email: string): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.markVerified, [id, email]);
    return (result.rowCount ?? 0) > 0;
  }

  async changeEmail(id: string, email: string): Promise<boolean> {
    try {
      const result = await this.#pool.query(this.#sql.changeEmail, [id, email]);
      return (result.rowCount ?? 0) > 0;
    } catch (error) {
      if (isEmailTaken(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async deleteUser(id: string): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.delete, [id]);
    return (result.rowCount ?? 0) > 0;
  }

  async setLockedAt(id: string, lockedAt: number | null): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.setLockedAt, [id, lockedAt]);
    return (result.rowCount ?? 0) > 0;
  }
}

interface OneTimeTokenRow {
  hash: string;
  user_id: string;
  purpose: OneTimeTokenPurpose;
  email: string;
  created_at: string;
  expires_at: string;
}

const toOneTimeToken = (row: OneTimeTokenRow): OneTimeTokenRecord => ({
  hash: row.hash,
  userId: row.user_id,
  purpose: row.purpose,
  email: row.email,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

/** One-time tokens (hashed) in PostgreSQL, beside the users; a user's tokens go with the user. */
export class PostgresOneTimeTokenStore implements OneTimeTokenStore {
  readonly #pool: Pool;
  readonly #sql: {
    issue: string;
    find: string;
    consume: string;
    deleteByUser: string;
    deleteExpired: string;
  };

  /** Builds the store without touching the database; run `migratePostgresAccounts` (or use `create`) first. */
  constructor(pool: Pool, options: PostgresAccountsOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_one_time_tokens', 'table');
    const columns = 'hash, user_id, purpose, email, created_at, expires_at';
    this.#sql = {
      // One statement (the delete and the insert see one snapshot and commit together): a new token
      // supersedes the user's older ones of the same purpose.
      issue:
        `WITH superseded AS (DELETE FROM ${t} WHERE user_id = $2 AND purpose = $3) ` +
        `INSERT INTO ${t} (${columns}) VALUES ($1, $2, $3, $4, $5, $6)`,
      find: `SELECT ${columns} FROM ${t} WHERE hash = $1`,
      consume: `DELETE FROM ${t} WHERE hash = $1 AND purpose = ANY($2::text[]) RETURNING ${columns}`,
      deleteByUser: `DELETE FROM ${t} WHERE user_id = $1 AND ($2::text IS NULL OR purpose = $2::text)`,
      deleteExpired: `DELETE FROM ${t} WHERE expires_at <= $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies the account migrations. */
  static async create(pool: Pool, options: PostgresAccountsOptions = {}): Promise<PostgresOneTimeTokenStore> {
    await migratePostgresAccounts(pool, options);
    return new PostgresOneTimeTokenStore(pool, options);
  }

  async issue(record: OneTimeTokenRecord): Promise<void> {
    const { hash, userId, purpose, email, createdAt, expiresAt } = record;
    await this.#pool.query(this.#sql.issue, [hash, userId, purpose, email, createdAt, expiresAt]);
  }

  async find(hash: string): Promise<OneTimeTokenRecord | null> {
    const { rows } = await this.#pool.query<OneTimeTokenRow>(this.#sql.find, [hash]);
    return rows[0] === undefined ? null : toOneTimeToken(rows[0]);
  }

  async consume(hash: string, purposes: readonly OneTimeTokenPurpose[]): Promise<OneTimeTokenRecord | null> {
    const { rows } = await this.#pool.query<OneTimeTokenRow>(this.#sql.consume, [hash, purposes]);
    return rows[0] === undefined ? null : toOneTimeToken(rows[0]);
  }

  async deleteByUser(userId: string, purpose?: OneTimeTokenPurpose): Promise<void> {
    await this.#pool.query(this.#sql.deleteByUser, [userId, purpose ?? null]);
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.#pool.query(this.#sql.deleteExpired, [before]);
    return result.rowCount ?? 0;
  }
}

interface AttemptRow {
  failures: number;
  window_started_at: string;
  last_failure_at: string;
}

/** Sign-in throttling counters in PostgreSQL, shared by every process. */
export class PostgresAttemptStore implements AttemptStore {
  readonly #pool: Pool;
  readonly #sql: { get: string; record: string; forgive: string; clear: string; deleteExpired: string };

  /** Builds the store without touching the database; run `migratePostgresAccounts` (or use `create`) first. */
  constructor(pool: Pool, options: PostgresAccountsOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_attempts', 'table');
    this.#sql = {
      get: `SELECT failures, window_started_at, last_failure_at FROM ${t} WHERE key = $1`,
      // One statement: the insert, or the update under the row lock, so concurrent processes lose no count.
      record:
        `INSERT INTO ${t} AS a (key, failures, window_started_at, last_failure_at) ` +
        `VALUES ($1, 1, $2::bigint, $2::bigint) ON CONFLICT (key) DO UPDATE SET ` +
        `failures = CASE WHEN a.window_started_at <= $2::bigint - $3::bigint THEN 1 ELSE a.failures + 1 END, ` +
        `window_started_at = CASE WHEN a.window_started_at <= $2::bigint - $3::bigint ` +
        `THEN $2::bigint ELSE a.window_started_at END, ` +
        `last_failure_at = $2::bigint ` +
        `RETURNING failures, window_started_at, last_failure_at`,
      forgive:
        `UPDATE ${t} SET failures = failures - 1 ` +
        `WHERE key = $1 AND window_started_at > $2::bigint - $3::bigint AND failures > 0`,
      clear: `DELETE FROM ${t} WHERE key = $1`,
      deleteExpired: `DELETE FROM ${t} WHERE window_started_at <= $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies the account migrations. */
  static async create(pool: Pool, options: PostgresAccountsOptions = {}): Promise<PostgresAttemptStore> {
    await migratePostgresAccounts(pool, options);
    return new PostgresAttemptStore(pool, options);
  }

  async get(key: string): Promise<AttemptRecord | null> {
    const { rows } = await this.#pool.query<AttemptRow>(this.#sql.get, [key]);
    return rows[0] === undefined ? null : toAttempt(rows[0]);
  }

  async recordFailure(key: string, now: number, windowMs: number): Promise<AttemptRecord> {
    const { rows } = await this.#pool.query<AttemptRow>(this.#sql.record, [key, now, windowMs]);
    if (rows[0] === undefined) throw new Error('the attempt upsert returned no row');
    return toAttempt(rows[0]);
  }

  async forgiveFailure(key: string, now: number, windowMs: number): Promise<void> {
    await this.#pool.query(this.#sql.forgive, [key, now, windowMs]);
  }

  async clear(key: string): Promise<void> {
    await this.#pool.query(this.#sql.clear, [key]);
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.#pool.query(this.#sql.deleteExpired, [before]);
    return result.rowCount ?? 0;
  }
}

function toAttempt(row: AttemptRow): AttemptRecord {
  return {
    failures: row.failures,
    windowStartedAt: Number(row.window_started_at),
    lastFailureAt: Number(row.last_failure_at),
  };
}

export {
  PostgresIdentityStore,
  migratePostgresIdentities,
  POSTGRES_IDENTITY_MIGRATIONS,
  type PostgresIdentityOptions,
} from './identities/postgres.js';
export {
  PostgresMfaStore,
  PostgresPendingSignInStore,
  migratePostgresMfa,
  POSTGRES_MFA_MIGRATIONS,
  type PostgresMfaOptions,
} from '../mfa/stores/postgres.js';
export {
  PostgresPasskeyStore,
  migratePostgresPasskeys,
  POSTGRES_PASSKEY_MIGRATIONS,
  type PostgresPasskeyOptions,
} from './passkeys/postgres.js';
