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
  CREATE TABLE IF NOT EXISTS cloakroom_federation_sets (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, member)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_federation_sets_expiry ON cloakroom_federation_sets (expires_at);
`;

/** `cloakroom_federation_state` as a component of a database's `SqliteMigrations`. */
export const SQLITE_FEDERATION_STATE_MIGRATIONS: SqliteMigrationComponent = {
  component: 'federation-state',
  sql: SCHEMA,
};

/**
 * Creates the federation tables (`cloakroom_federation_state`, and `cloakroom_federation_sets` beside a
 * table made by an older version) if they are missing.
 */
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
  readonly #addMember: Statement;
  readonly #takeMembers: Statement;
  readonly #deleteExpiredMembers: Statement;

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
    this.#addMember = db.prepare(`
      INSERT INTO cloakroom_federation_sets (key, member, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (key, member) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`);
    this.#takeMembers = db.prepare(
      'DELETE FROM cloakroom_federation_sets WHERE key = ? RETURNING member, expires_at',
    );
    this.#deleteExpiredMembers = db.prepare('DELETE FROM cloakroom_federation_sets WHERE expires_at <= ?');
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

  addMember(key: string, member: string, expiresAt: number, _now: number): Promise<void> {
    return settle(() => {
      this.#addMember.run(key, member, expiresAt);
    });
  }

  takeMembers(key: string, now: number): Promise<string[]> {
    return settle(() => {
      const rows = this.#takeMembers.all(key) as { member: string; expires_at: number }[];
      return rows.filter((row) => row.expires_at > now).map((row) => row.member);
    });
  }

  deleteExpired(now: number): Promise<number> {
    return settle(() => this.#deleteExpired.run(now).changes + this.#deleteExpiredMembers.run(now).changes);
  }
}
