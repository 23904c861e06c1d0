import type { Pool } from 'pg';
import { runMigrations } from '../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../lib/postgres/registry.js';
import { qualify, type Migration } from '../../lib/postgres/sql.js';
import type { MigrationStore } from '../types.js';

function migrateMigrations(schema: string | null): Migration[] {
  const claims = qualify(schema, 'cloakroom_migrate_claims', 'table');
  const counters = qualify(schema, 'cloakroom_migrate_counters', 'table');
  return [
    {
      version: 1,
      description: 'exchanged legacy credentials (until they expire) and the migration counters',
      sql: `
        CREATE TABLE ${claims} (key text PRIMARY KEY, expires_at bigint NOT NULL);
        CREATE INDEX cloakroom_migrate_claims_expiry ON ${claims} (expires_at);
        CREATE TABLE ${counters} (name text PRIMARY KEY, value bigint NOT NULL);
      `,
    },
  ];
}

/** The migration tables as a component of a database's `PostgresMigrations`. */
export const POSTGRES_MIGRATE_MIGRATIONS: PostgresMigrationComponent = {
  component: 'migrate',
  migrations: migrateMigrations,
};

/**
 * The migration store in PostgreSQL, shared by every process of the site.
 *
 * @example
 * ```ts
 * const store = await PostgresMigrationStore.create(pool);
 * ```
 */
export class PostgresMigrationStore implements MigrationStore {
  readonly #pool: Pool;
  readonly #sql: { claim: string; increment: string; counters: string; sweep: string };

  /** Builds the store without touching the database; use {@link create} (or the component) to migrate first. */
  constructor(pool: Pool, options: { schema?: string } = {}) {
    this.#pool = pool;
    const claims = qualify(options.schema ?? null, 'cloakroom_migrate_claims', 'table');
    const counters = qualify(options.schema ?? null, 'cloakroom_migrate_counters', 'table');
    this.#sql = {
      // Inserts, or takes over a claim that has expired; a returned row means this call won.
      claim:
        `INSERT INTO ${claims} AS c (key, expires_at) VALUES ($1, $2::bigint) ` +
        `ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE c.expires_at <= $3::bigint ` +
        `RETURNING key`,
      increment:
        `INSERT INTO ${counters} AS c (name, value) VALUES ($1, 1) ` +
        `ON CONFLICT (name) DO UPDATE SET value = c.value + 1`,
      counters: `SELECT name, value FROM ${counters} ORDER BY name`,
      sweep: `DELETE FROM ${claims} WHERE expires_at <= $1::bigint`,
    };
  }

  /** Creates or upgrades the tables, then builds the store. */
  static async create(pool: Pool, options: { schema?: string } = {}): Promise<PostgresMigrationStore> {
    const schema = options.schema ?? null;
    await runMigrations(pool, {
      schema,
      component: POSTGRES_MIGRATE_MIGRATIONS.component,
      migrations: migrateMigrations(schema),
    });
    return new PostgresMigrationStore(pool, options);
  }

  async claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.claim, [key, expiresAt, now]);
    return (result.rowCount ?? 0) === 1;
  }

  async increment(counter: string): Promise<void> {
    await this.#pool.query(this.#sql.increment, [counter]);
  }

  async counters(): Promise<Record<string, number>> {
    const { rows } = await this.#pool.query<{ name: string; value: string }>(this.#sql.counters);
    return Object.fromEntries(rows.map((row) => [row.name, Number(row.value)]));
  }

  /** Deletes the claims of credentials that have expired anyway. */
  async sweep(now: number): Promise<number> {
    return (await this.#pool.query(this.#sql.sweep, [now])).rowCount ?? 0;
  }
}
