import type { Database, Statement } from 'better-sqlite3';
import type { SqliteMigrationComponent } from '../../../lib/sqlite/registry.js';
import { settle } from '../../../lib/sqlite/settle.js';
import type { PasskeyRecord, PasskeyStore, PasskeyUse } from '../../passkeys/types.js';
import { PASSKEY_COLUMNS as COLUMNS, toPasskey, type PasskeyRow } from './row.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_passkeys (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    public_key TEXT NOT NULL,
    counter INTEGER NOT NULL,
    transports TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    backed_up INTEGER NOT NULL,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_passkeys_user ON cloakroom_passkeys (user_id, created_at);
`;

/** `cloakroom_passkeys` as a component of a database's `SqliteMigrations` (add it after the accounts). */
export const SQLITE_PASSKEY_MIGRATIONS: SqliteMigrationComponent = { component: 'passkeys', sql: SCHEMA };

/** Creates the passkey table (`cloakroom_passkeys`, beside `users`) if it is missing. */
export function migrateSqlitePasskeys(db: Database): void {
  db.exec(SQLITE_PASSKEY_MIGRATIONS.sql);
}

/**
 * Passkeys in SQLite, in the database of the `users` table (deleted with their user).
 *
 * @example
 * ```ts
 * const passkeys = new SqlitePasskeyStore(db);
 * ```
 */
export class SqlitePasskeyStore implements PasskeyStore {
  readonly #insert: Statement;
  readonly #find: Statement;
  readonly #list: Statement;
  readonly #use: Statement;
  readonly #delete: Statement;
  readonly #deleteByUser: Statement;

  constructor(db: Database) {
    migrateSqlitePasskeys(db);
    this.#insert = db.prepare(
      `INSERT INTO cloakroom_passkeys (${COLUMNS}) VALUES (@id, @userId, @publicKey, @counter, @transports,
       @backupEligible, @backedUp, @name, @createdAt, @lastUsedAt) ON CONFLICT (id) DO NOTHING`,
    );
    this.#find = db.prepare(`SELECT ${COLUMNS} FROM cloakroom_passkeys WHERE id = ?`);
    this.#list = db.prepare(
      `SELECT ${COLUMNS} FROM cloakroom_passkeys WHERE user_id = ? ORDER BY created_at, id`,
    );
    // The counter check is in the statement: of two racing uses of one counter value, one changes the row.
    this.#use = db.prepare(
      `UPDATE cloakroom_passkeys SET counter = @counter, backed_up = @backedUp, last_used_at = @lastUsedAt
       WHERE id = @id AND (counter < @counter OR (counter = 0 AND @counter = 0))`,
    );
    this.#delete = db.prepare('DELETE FROM cloakroom_passkeys WHERE user_id = ? AND id = ?');
    this.#deleteByUser = db.prepare('DELETE FROM cloakroom_passkeys WHERE user_id = ?');
  }

  create(record: PasskeyRecord): Promise<boolean> {
    return settle(
      () =>
        this.#insert.run({
          ...record,
          transports: JSON.stringify(record.transports),
          backupEligible: record.backupEligible ? 1 : 0,
          backedUp: record.backedUp ? 1 : 0,
        }).changes === 1,
    );
  }

  findById(id: string): Promise<PasskeyRecord | null> {
    return settle(() => {
      const row = this.#find.get(id) as PasskeyRow | undefined;
      return row === undefined ? null : toPasskey(row);
    });
  }

  listByUser(userId: string): Promise<PasskeyRecord[]> {
    return settle(() => (this.#list.all(userId) as PasskeyRow[]).map(toPasskey));
  }

  recordUse(id: string, use: PasskeyUse): Promise<boolean> {
    return settle(() => this.#use.run({ id, ...use, backedUp: use.backedUp ? 1 : 0 }).changes === 1);
  }

  delete(userId: string, id: string): Promise<boolean> {
    return settle(() => this.#delete.run(userId, id).changes === 1);
  }

  deleteByUser(userId: string): Promise<number> {
    return settle(() => this.#deleteByUser.run(userId).changes);
  }
}
