import type { Pool } from 'pg';
import { runMigrations } from '../../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../../lib/postgres/registry.js';
import { guardPool } from '../../../lib/postgres/pool.js';
import { qualify, type Migration } from '../../../lib/postgres/sql.js';
import type { MfaStore, PendingSignInRecord, PendingSignInStore, TotpRecord } from '../types.js';

export interface PostgresMfaOptions {
  /** The schema of `users` and the two-factor tables. Default: the search path. */
  schema?: string;
}

function mfaMigrations(schema: string | null): Migration[] {
  const users = qualify(schema, 'users', 'table');
  const totp = qualify(schema, 'cloakroom_totp', 'table');
  const codes = qualify(schema, 'cloakroom_recovery_codes', 'table');
  const pending = qualify(schema, 'cloakroom_mfa_pending', 'table');
  return [
    {
      version: 1,
      description: 'two-factor: TOTP secrets (encrypted), recovery codes and pending sign-ins (hashed)',
      sql: `
        CREATE TABLE ${totp} (
          user_id text PRIMARY KEY REFERENCES ${users} (id) ON DELETE CASCADE,
          secret text,
          pending_secret text,
          last_step bigint,
          enabled_at bigint
        );
        CREATE TABLE ${codes} (
          user_id text NOT NULL REFERENCES ${users} (id) ON DELETE CASCADE,
          hash text NOT NULL,
          created_at bigint NOT NULL,
          PRIMARY KEY (user_id, hash)
        );
        CREATE TABLE ${pending} (
          hash text PRIMARY KEY,
          user_id text NOT NULL REFERENCES ${users} (id) ON DELETE CASCADE,
          amr text[] NOT NULL,
          created_at bigint NOT NULL,
          expires_at bigint NOT NULL
        );
        CREATE INDEX cloakroom_mfa_pending_expiry ON ${pending} (expires_at);
      `,
    },
  ];
}

/** The two-factor tables as a component of a database's `PostgresMigrations` (add it after the accounts). */
export const POSTGRES_MFA_MIGRATIONS: PostgresMigrationComponent = {
  component: 'mfa',
  migrations: mfaMigrations,
};

/** Creates or upgrades the two-factor tables (after the account migrations: they refer to `users`). */
export function migratePostgresMfa(pool: Pool, options: PostgresMfaOptions = {}): Promise<number[]> {
  const schema = options.schema ?? null;
  const { component, migrations } = POSTGRES_MFA_MIGRATIONS;
  return runMigrations(pool, { schema, component, migrations: migrations(schema) });
}

interface TotpRow {
  user_id: string;
  secret: string | null;
  pending_secret: string | null;
  last_step: string | null;
  enabled_at: string | null;
}

const numberOrNull = (value: string | null) => (value === null ? null : Number(value));

/**
 * TOTP secrets (encrypted) and recovery codes (hashed) in PostgreSQL, beside `users`. Every decision is one
 * statement (compare-and-set under the row lock).
 *
 * @example
 * ```ts
 * const store = await PostgresMfaStore.create(pool);
 * ```
 */
export class PostgresMfaStore implements MfaStore {
  readonly #pool: Pool;
  readonly #sql: Record<
    'find' | 'setPending' | 'enable' | 'accept' | 'delete' | 'replace' | 'list' | 'use',
    string
  >;

  /** Builds the store without touching the database; run `migratePostgresMfa` (or use `create`) first. */
  constructor(pool: Pool, options: PostgresMfaOptions = {}) {
    const schema = options.schema ?? null;
    const totp = qualify(schema, 'cloakroom_totp', 'table');
    const codes = qualify(schema, 'cloakroom_recovery_codes', 'table');
    this.#sql = {
      find: `SELECT user_id, secret, pending_secret, last_step, enabled_at FROM ${totp} WHERE user_id = $1`,
      setPending:
        `INSERT INTO ${totp} (user_id, pending_secret) VALUES ($1, $2) ` +
        'ON CONFLICT (user_id) DO UPDATE SET pending_secret = excluded.pending_secret',
      enable:
        `UPDATE ${totp} SET secret = pending_secret, pending_secret = NULL, last_step = $3, enabled_at = $4 ` +
        'WHERE user_id = $1 AND pending_secret = $2',
      accept:
        `UPDATE ${totp} SET last_step = $2 WHERE user_id = $1 AND secret IS NOT NULL ` +
        'AND (last_step IS NULL OR last_step < $2)',
      delete: `WITH codes AS (DELETE FROM ${codes} WHERE user_id = $1) DELETE FROM ${totp} WHERE user_id = $1`,
      replace:
        `WITH old AS (DELETE FROM ${codes} WHERE user_id = $1) ` +
        `INSERT INTO ${codes} (user_id, hash, created_at) SELECT $1, h, $3 FROM unnest($2::text[]) AS h`,
      list: `SELECT hash FROM ${codes} WHERE user_id = $1`,
      use: `DELETE FROM ${codes} WHERE user_id = $1 AND hash = $2`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies the two-factor migrations. */
  static async create(pool: Pool, options: PostgresMfaOptions = {}): Promise<PostgresMfaStore> {
    await migratePostgresMfa(pool, options);
    return new PostgresMfaStore(pool, options);
  }

  async findTotp(userId: string): Promise<TotpRecord | null> {
    const { rows } = await this.#pool.query<TotpRow>(this.#sql.find, [userId]);
    const row = rows[0];
    return row === undefined
      ? null
      : {
          userId: row.user_id,
          secret: row.secret,
          pendingSecret: row.pending_secret,
          lastStep: numberOrNull(row.last_step),
          enabledAt: numberOrNull(row.enabled_at),
        };
  }

  async setPendingTotp(userId: string, pendingSecret: string): Promise<void> {
    await this.#pool.query(this.#sql.setPending, [userId, pendingSecret]);
  }

  async enableTotp(userId: string, pendingSecret: string, step: number, now: number): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.enable, [userId, pendingSecret, step, now]);
    return result.rowCount === 1;
  }

  async acceptTotpStep(userId: string, step: number): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.accept, [userId, step]);
    return result.rowCount === 1;
  }

  async deleteTotp(userId: string): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.delete, [userId]);
    return (result.rowCount ?? 0) > 0;
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[], now: number): Promise<void> {
    await this.#pool.query(this.#sql.replace, [userId, hashes, now]);
  }

  async listRecoveryCodes(userId: string): Promise<string[]> {
    const { rows } = await this.#pool.query<{ hash: string }>(this.#sql.list, [userId]);
    return rows.map((row) => row.hash);
  }

  async useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.use, [userId, hash]);
    return result.rowCount === 1;
  }
}

interface PendingRow {
  hash: string;
  user_id: string;
  amr: string[];
  created_at: string;
  expires_at: string;
}

const toPending = (row: PendingRow): PendingSignInRecord => ({
  hash: row.hash,
  userId: row.user_id,
  amr: row.amr,
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

/** Pending sign-ins (tokens hashed) in PostgreSQL, beside `users`. */
export class PostgresPendingSignInStore implements PendingSignInStore {
  readonly #pool: Pool;
  readonly #sql: Record<'insert' | 'find' | 'consume' | 'deleteExpired', string>;

  /** Builds the store without touching the database; run `migratePostgresMfa` (or use `create`) first. */
  constructor(pool: Pool, options: PostgresMfaOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_mfa_pending', 'table');
    const columns = 'hash, user_id, amr, created_at, expires_at';
    this.#sql = {
      insert: `INSERT INTO ${t} (${columns}) VALUES ($1, $2, $3, $4, $5)`,
      find: `SELECT ${columns} FROM ${t} WHERE hash = $1`,
      consume: `DELETE FROM ${t} WHERE hash = $1 RETURNING ${columns}`,
      deleteExpired: `DELETE FROM ${t} WHERE expires_at <= $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies the two-factor migrations. */
  static async create(pool: Pool, options: PostgresMfaOptions = {}): Promise<PostgresPendingSignInStore> {
    await migratePostgresMfa(pool, options);
    return new PostgresPendingSignInStore(pool, options);
  }

  async create(record: PendingSignInRecord): Promise<void> {
    const { hash, userId, amr, createdAt, expiresAt } = record;
    await this.#pool.query(this.#sql.insert, [hash, userId, amr, createdAt, expiresAt]);
  }

  async find(hash: string): Promise<PendingSignInRecord | null> {
    const { rows } = await this.#pool.query<PendingRow>(this.#sql.find, [hash]);
    return rows[0] === undefined ? null : toPending(rows[0]);
  }

  async consume(hash: string): Promise<PendingSignInRecord | null> {
    const { rows } = await this.#pool.query<PendingRow>(this.#sql.consume, [hash]);
    return rows[0] === undefined ? null : toPending(rows[0]);
  }

  async deleteExpired(before: number): Promise<number> {
    const result = await this.#pool.query(this.#sql.deleteExpired, [before]);
    return result.rowCount ?? 0;
  }
}
