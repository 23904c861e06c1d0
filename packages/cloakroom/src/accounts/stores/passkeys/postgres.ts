import type { Pool } from 'pg';
import { runMigrations } from '../../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../../lib/postgres/registry.js';
import { guardPool } from '../../../lib/postgres/pool.js';
import { qualify, type Migration } from '../../../lib/postgres/sql.js';
import type { PasskeyRecord, PasskeyStore, PasskeyUse } from '../../passkeys/types.js';
import { PASSKEY_COLUMNS as COLUMNS, toPasskey, type PasskeyRow } from './row.js';

export interface PostgresPasskeyOptions {
  /** The schema of `users`, `cloakroom_passkeys` and `cloakroom_migrations`. Default: the search path. */
  schema?: string;
}

function passkeyMigrations(schema: string | null): Migration[] {
  const passkeys = qualify(schema, 'cloakroom_passkeys', 'table');
  const users = qualify(schema, 'users', 'table');
  return [
    {
      version: 1,
      description: 'passkeys: WebAuthn credentials of local users',
      sql: `
        CREATE TABLE ${passkeys} (
          id text PRIMARY KEY,
          user_id text NOT NULL REFERENCES ${users} (id) ON DELETE CASCADE,
          public_key text NOT NULL,
          counter bigint NOT NULL,
          transports text NOT NULL,
          backup_eligible boolean NOT NULL,
          backed_up boolean NOT NULL,
          name text NOT NULL,
          created_at bigint NOT NULL,
          last_used_at bigint
        );
        CREATE INDEX cloakroom_passkeys_user ON ${passkeys} (user_id, created_at);
      `,
    },
  ];
}

/** `cloakroom_passkeys` as a component of a database's `PostgresMigrations` (add it after the accounts). */
export const POSTGRES_PASSKEY_MIGRATIONS: PostgresMigrationComponent = {
  component: 'passkeys',
  migrations: passkeyMigrations,
};

/** Creates or upgrades `cloakroom_passkeys` (after the account migrations: it refers to `users`). */
export function migratePostgresPasskeys(pool: Pool, options: PostgresPasskeyOptions = {}): Promise<number[]> {
  const schema = options.schema ?? null;
  const { component, migrations } = POSTGRES_PASSKEY_MIGRATIONS;
  return runMigrations(pool, { schema, component, migrations: migrations(schema) });
}

/**
 * Passkeys in PostgreSQL, beside `users` (deleted with their user).
 *
 * @example
 * ```ts
 * const passkeys = await PostgresPasskeyStore.create(pool);
 * ```
 */
export class PostgresPasskeyStore implements PasskeyStore {
  readonly #pool: Pool;
  readonly #sql: {
    insert: string;
    find: string;
    list: string;
    use: string;
    delete: string;
    deleteByUser: string;
  };

  /** Builds the store without touching the database; migrate first (or use `create`). */
  constructor(pool: Pool, options: PostgresPasskeyOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_passkeys', 'table');
    this.#sql = {
      insert:
        `INSERT INTO ${t} (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ` +
        'ON CONFLICT (id) DO NOTHING',
      find: `SELECT ${COLUMNS} FROM ${t} WHERE id = $1`,
      list: `SELECT ${COLUMNS} FROM ${t} WHERE user_id = $1 ORDER BY created_at, id`,
      // The counter check is in the statement: of two racing uses of one counter value, one changes the row.
      use:
        `UPDATE ${t} SET counter = $2, backed_up = $3, last_used_at = $4 ` +
        'WHERE id = $1 AND (counter < $2 OR (counter = 0 AND $2 = 0))',
      delete: `DELETE FROM ${t} WHERE user_id = $1 AND id = $2`,
      deleteByUser: `DELETE FROM ${t} WHERE user_id = $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies its migrations. */
  static async create(pool: Pool, options: PostgresPasskeyOptions = {}): Promise<PostgresPasskeyStore> {
    await migratePostgresPasskeys(pool, options);
    return new PostgresPasskeyStore(pool, options);
  }

  async create(record: PasskeyRecord): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.insert, [
      record.id,
      record.userId,
      record.publicKey,
      record.counter,
      JSON.stringify(record.transports),
      record.backupEligible,
      record.backedUp,
      record.name,
      record.createdAt,
      record.lastUsedAt,
    ]);
    return result.rowCount === 1;
  }

  async findById(id: string): Promise<PasskeyRecord | null> {
    const { rows } = await this.#pool.query<PasskeyRow>(this.#sql.find, [id]);
    return rows[0] === undefined ? null : toPasskey(rows[0]);
  }

  async listByUser(userId: string): Promise<PasskeyRecord[]> {
    const { rows } = await this.#pool.query<PasskeyRow>(this.#sql.list, [userId]);
    return rows.map(toPasskey);
  }

  async recordUse(id: string, use: PasskeyUse): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.use, [id, use.counter, use.backedUp, use.lastUsedAt]);
    return result.rowCount === 1;
  }

  async delete(userId: string, id: string): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.delete, [userId, id]);
    return result.rowCount === 1;
  }

  async deleteByUser(userId: string): Promise<number> {
    const result = await this.#pool.query(this.#sql.deleteByUser, [userId]);
    return result.rowCount ?? 0;
  }
}
