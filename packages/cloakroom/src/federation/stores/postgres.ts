import type { Pool } from 'pg';
import { runMigrations } from '../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../lib/postgres/registry.js';
import { guardPool } from '../../lib/postgres/pool.js';
import { qualify, type Migration } from '../../lib/postgres/sql.js';
import type { FederationStateStore } from './types.js';

export interface PostgresFederationOptions {
  /** The schema of `cloakroom_federation_state` and `cloakroom_migrations`. Default: the search path. */
  schema?: string;
}

function federationStateMigrations(schema: string | null): Migration[] {
  const table = qualify(schema, 'cloakroom_federation_state', 'table');
  return [
    {
      version: 1,
      description: 'short-lived federation records (pre-login, logout token ids, provider sessions)',
      sql: `
        CREATE TABLE ${table} (
          key text PRIMARY KEY,
          value text NOT NULL,
          expires_at bigint NOT NULL
        );
        CREATE INDEX cloakroom_federation_state_expiry ON ${table} (expires_at);
      `,
    },
  ];
}

/** `cloakroom_federation_state` as a component of a database's `PostgresMigrations`. */
export const POSTGRES_FEDERATION_STATE_MIGRATIONS: PostgresMigrationComponent = {
  component: 'federation-state',
  migrations: federationStateMigrations,
};

/** Creates or upgrades `cloakroom_federation_state` through the recorded, advisory-locked migrations. */
export function migratePostgresFederationState(
  pool: Pool,
  options: PostgresFederationOptions = {},
): Promise<number[]> {
  const schema = options.schema ?? null;
  const { component, migrations } = POSTGRES_FEDERATION_STATE_MIGRATIONS;
  return runMigrations(pool, { schema, component, migrations: migrations(schema) });
}

/**
 * Federation records in PostgreSQL, shared by every process. `take` is one `DELETE … RETURNING`, so a
 * pre-login record is used once even when two callbacks race.
 *
 * @example
 * ```ts
 * const state = await PostgresFederationStateStore.create(pool);
 * ```
 */
export class PostgresFederationStateStore implements FederationStateStore {
  readonly #pool: Pool;
  readonly #sql: { add: string; put: string; take: string; deleteExpired: string };

  /** Builds the store without touching the database; migrate first (or use `create`). */
  constructor(pool: Pool, options: PostgresFederationOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_federation_state', 'table');
    this.#sql = {
      add:
        `INSERT INTO ${t} AS s (key, value, expires_at) VALUES ($1, $2, $3::bigint) ` +
        `ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at ` +
        `WHERE s.expires_at <= $4::bigint`,
      put:
        `INSERT INTO ${t} (key, value, expires_at) VALUES ($1, $2, $3::bigint) ` +
        `ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      take: `DELETE FROM ${t} WHERE key = $1 RETURNING value, expires_at`,
      deleteExpired: `DELETE FROM ${t} WHERE expires_at <= $1`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies its migrations. */
  static async create(
    pool: Pool,
    options: PostgresFederationOptions = {},
  ): Promise<PostgresFederationStateStore> {
    await migratePostgresFederationState(pool, options);
    return new PostgresFederationStateStore(pool, options);
  }

  async add(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.add, [key, value, expiresAt, now]);
    return result.rowCount === 1;
  }

  async put(key: string, value: string, expiresAt: number, _now: number): Promise<void> {
    await this.#pool.query(this.#sql.put, [key, value, expiresAt]);
  }

  async take(key: string, now: number): Promise<string | null> {
    const { rows } = await this.#pool.query<{ value: string; expires_at: string }>(this.#sql.take, [key]);
    const row = rows[0];
    return row === undefined || Number(row.expires_at) <= now ? null : row.value;
  }

  async deleteExpired(now: number): Promise<number> {
    const result = await this.#pool.query(this.#sql.deleteExpired, [now]);
    return result.rowCount ?? 0;
  }
}
