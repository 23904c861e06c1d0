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
  const sets = qualify(schema, 'cloakroom_federation_sets', 'table');
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
    {
      version: 2,
      description: 'sets of members (every local session of a provider session)',
      sql: `
        CREATE TABLE ${sets} (
          key text NOT NULL,
          member text NOT NULL,
          expires_at bigint NOT NULL,
          PRIMARY KEY (key, member)
        );
        CREATE INDEX cloakroom_federation_sets_expiry ON ${sets} (expires_at);
      `,
    },
  ];
}

/** `cloakroom_federation_state` as a component of a database's `PostgresMigrations`. */
export const POSTGRES_FEDERATION_STATE_MIGRATIONS: PostgresMigrationComponent = {
  component: 'federation-state',
  migrations: federationStateMigrations,
};

/** Creates or upgrades `cloakroom_federation_state` and `cloakroom_federation_sets` through the recorded, advisory-locked migrations. */
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
  readonly #sql: {
    add: string;
    put: string;
    take: string;
    deleteExpired: string;
    addMember: string;
    takeMembers: string;
  };

  /** Builds the store without touching the database; migrate first (or use `create`). */
  constructor(pool: Pool, options: PostgresFederationOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_federation_state', 'table');
    const sets = qualify(options.schema ?? null, 'cloakroom_federation_sets', 'table');
    this.#sql = {
      add:
        `INSERT INTO ${t} AS s (key, value, expires_at) VALUES ($1, $2, $3::bigint) ` +
        `ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at ` +
        `WHERE s.expires_at <= $4::bigint`,
      put:
        `INSERT INTO ${t} (key, value, expires_at) VALUES ($1, $2, $3::bigint) ` +
        `ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
      take: `DELETE FROM ${t} WHERE key = $1 RETURNING value, expires_at`,
      // Both tables in one statement, so a sweep is one round trip and one count.
      deleteExpired:
        `WITH entries AS (DELETE FROM ${t} WHERE expires_at <= $1 RETURNING 1), ` +
        `members AS (DELETE FROM ${sets} WHERE expires_at <= $1 RETURNING 1) ` +
        `SELECT (SELECT count(*) FROM entries) + (SELECT count(*) FROM members) AS removed`,
      addMember:
        `INSERT INTO ${sets} AS s (key, member, expires_at) VALUES ($1, $2, $3::bigint) ` +
        `ON CONFLICT (key, member) DO UPDATE SET expires_at = greatest(s.expires_at, excluded.expires_at)`,
      takeMembers: `DELETE FROM ${sets} WHERE key = $1 RETURNING member, expires_at`,
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

  async addMember(key: string, member: string, expiresAt: number, _now: number): Promise<void> {
    await this.#pool.query(this.#sql.addMember, [key, member, expiresAt]);
  }

  async takeMembers(key: string, now: number): Promise<string[]> {
    const { rows } = await this.#pool.query<{ member: string; expires_at: string }>(this.#sql.takeMembers, [
      key,
    ]);
    return rows.filter((row) => Number(row.expires_at) > now).map((row) => row.member);
  }

  async deleteExpired(now: number): Promise<number> {
    const { rows } = await this.#pool.query<{ removed: string }>(this.#sql.deleteExpired, [now]);
    return Number(rows[0]?.removed ?? 0);
  }
}
