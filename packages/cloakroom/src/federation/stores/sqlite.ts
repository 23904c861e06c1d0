import type { Database, Statement } from 'better-sqlite3';
import type { SqliteMigrationComponent } from '../../lib/sqlite/registry.js';
import { settle } from '../../lib/sqlite/settle.js';
import type { FederationStateStore } from './types.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_federation_state (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_federation_state_expiry ON cloakroom_federation_state (expires_at);
`;

/** `cloakroom_federation_state` as a component of a database's `SqliteMigrations`. */
export const SQLITE_FEDERATION_STATE_MIGRATIONS: SqliteMigrationComponent = {
  component: 'federation-state',
  sql: SCHEMA,
};

/** Creates the federation table (`cloakroom_federation_state`) if it is missing. */
export function migrateSqliteFederationState(db: Database): void {
  db.exec(SQLITE_FEDERATION_STATE_MIGRATIONS.sql);
}

/**
 * Federation records in SQLite, beside the sessions: shared by every process that opens the database.
 *
 * @example
 * ```ts
 * const state = new SqliteFederationStateStore(db);
 * ```
 */
export class SqliteFederationStateStore implements FederationStateStore {
  readonly #add: Statement;
  readonly #put: Statement;
  readonly #take: Statement;
  readonly #deleteExpired: Statement;

  constructor(db: Database) {
    migrateSqliteFederationState(db);
    // Inserts, or takes over an expired entry; a live entry is left alone (no row changes).
    this.#add = db.prepare(`
      INSERT INTO cloakroom_federation_state (key, value, expires_at) VALUES (@key, @value, @expiresAt)
      ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
      WHERE cloakroom_federation_state.expires_at <= @now`);
    this.#put = db.prepare(
      'INSERT OR REPLACE INTO cloakroom_federation_state (key, value, expires_at) VALUES (?, ?, ?)',
    );
    this.#take = db.prepare(
      'DELETE FROM cloakroom_federation_state WHERE key = ? RETURNING value, expires_at',
    );
    this.#deleteExpired = db.prepare('DELETE FROM cloakroom_federation_state WHERE expires_at <= ?');
  }

  add(key: string, value: string, expiresAt: number, now: number): Promise<boolean> {
    return settle(() => this.#add.run({ key, value, expiresAt, now }).changes === 1);
  }

  put(key: string, value: string, expiresAt: number, _now: number): Promise<void> {
    return settle(() => {
      this.#put.run(key, value, expiresAt);
    });
  }

  take(key: string, now: number): Promise<string | null> {
    return settle(() => {
      const row = this.#take.get(key) as { value: string; expires_at: number } | undefined;
      return row === undefined || row.expires_at <= now ? null : row.value;
    });
  }

  deleteExpired(now: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(now).changes);
  }
}
