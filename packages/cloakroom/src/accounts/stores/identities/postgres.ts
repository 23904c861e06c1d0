import type { Pool } from 'pg';
import { runMigrations } from '../../../lib/postgres/migrate.js';
import type { PostgresMigrationComponent } from '../../../lib/postgres/registry.js';
import { guardPool } from '../../../lib/postgres/pool.js';
import { qualify, type Migration } from '../../../lib/postgres/sql.js';
import type { IdentityLink, IdentityStore, UnlinkResult } from '../../identities.js';

export interface PostgresIdentityOptions {
  /** The schema of `users`, `cloakroom_identities` and `cloakroom_migrations`. Default: the search path. */
  schema?: string;
}

function identityMigrations(schema: string | null): Migration[] {
  const identities = qualify(schema, 'cloakroom_identities', 'table');
  const users = qualify(schema, 'users', 'table');
  return [
    {
      version: 1,
      description: 'identity links: (issuer, subject) to a local user',
      sql: `
        CREATE TABLE ${identities} (
          issuer text NOT NULL,
          subject text NOT NULL,
          user_id text NOT NULL REFERENCES ${users} (id) ON DELETE CASCADE,
          provider text NOT NULL,
          created_at bigint NOT NULL,
          PRIMARY KEY (issuer, subject)
        );
        CREATE INDEX cloakroom_identities_user ON ${identities} (user_id);
      `,
    },
  ];
}

/** `cloakroom_identities` as a component of a database's `PostgresMigrations` (add it after the accounts). */
export const POSTGRES_IDENTITY_MIGRATIONS: PostgresMigrationComponent = {
  component: 'identities',
  migrations: identityMigrations,
};

/**
 * Creates or upgrades `cloakroom_identities` (run after the account migrations: it refers to `users`),
 * through the recorded, advisory-locked migrations.
 */
export function migratePostgresIdentities(
  pool: Pool,
  options: PostgresIdentityOptions = {},
): Promise<number[]> {
  const schema = options.schema ?? null;
  const { component, migrations } = POSTGRES_IDENTITY_MIGRATIONS;
  return runMigrations(pool, { schema, component, migrations: migrations(schema) });
}

interface LinkRow {
  issuer: string;
  subject: string;
  user_id: string;
  provider: string;
  created_at: string;
}

const toLink = (row: LinkRow): IdentityLink => ({
  userId: row.user_id,
  provider: row.provider,
  issuer: row.issuer,
  subject: row.subject,
  createdAt: Number(row.created_at),
});

/**
 * Identity links in PostgreSQL, beside `users`.
 *
 * @example
 * ```ts
 * const identities = await PostgresIdentityStore.create(pool);
 * ```
 */
export class PostgresIdentityStore implements IdentityStore {
  readonly #pool: Pool;
  readonly #sql: { find: string; list: string; link: string; unlink: string; exists: string };

  /** Builds the store without touching the database; migrate first (or use `create`). */
  constructor(pool: Pool, options: PostgresIdentityOptions = {}) {
    const t = qualify(options.schema ?? null, 'cloakroom_identities', 'table');
    const columns = 'issuer, subject, user_id, provider, created_at';
    this.#sql = {
      find: `SELECT ${columns} FROM ${t} WHERE issuer = $1 AND subject = $2`,
      list: `SELECT ${columns} FROM ${t} WHERE user_id = $1 ORDER BY created_at, issuer, subject`,
      link: `INSERT INTO ${t} (${columns}) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (issuer, subject) DO NOTHING`,
      // The CTE locks the user's links first, so two concurrent unlinks of a password-less account's last
      // two links queue: the second counts what the first left, and keeps it.
      unlink:
        `WITH locked AS (SELECT 1 FROM ${t} WHERE user_id = $1 FOR UPDATE) ` +
        `DELETE FROM ${t} WHERE user_id = $1 AND issuer = $2 AND subject = $3 ` +
        `AND (NOT $4::boolean OR (SELECT count(*) FROM locked) > 1)`,
      exists: `SELECT 1 FROM ${t} WHERE user_id = $1 AND issuer = $2 AND subject = $3`,
    };
    this.#pool = pool;
    guardPool(pool);
  }

  /** Makes the store and applies its migrations. */
  static async create(pool: Pool, options: PostgresIdentityOptions = {}): Promise<PostgresIdentityStore> {
    await migratePostgresIdentities(pool, options);
    return new PostgresIdentityStore(pool, options);
  }

  async findByIdentity(issuer: string, subject: string): Promise<IdentityLink | null> {
    const { rows } = await this.#pool.query<LinkRow>(this.#sql.find, [issuer, subject]);
    return rows[0] === undefined ? null : toLink(rows[0]);
  }

  async listByUser(userId: string): Promise<IdentityLink[]> {
    const { rows } = await this.#pool.query<LinkRow>(this.#sql.list, [userId]);
    return rows.map(toLink);
  }

  async link(link: IdentityLink): Promise<boolean> {
    const result = await this.#pool.query(this.#sql.link, [
      link.issuer,
      link.subject,
      link.userId,
      link.provider,
      link.createdAt,
    ]);
    return result.rowCount === 1;
  }

  async unlink(
    userId: string,
    issuer: string,
    subject: string,
    options: { keepOne: boolean },
  ): Promise<UnlinkResult> {
    const result = await this.#pool.query(this.#sql.unlink, [userId, issuer, subject, options.keepOne]);
    if (result.rowCount === 1) return 'unlinked';
    const { rows } = await this.#pool.query(this.#sql.exists, [userId, issuer, subject]);
    return rows.length === 0 ? 'not_found' : 'last_sign_in_method';
  }
}
