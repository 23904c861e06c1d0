import type { Database, Statement } from 'better-sqlite3';
import type { SqliteMigrationComponent } from '../../../lib/sqlite/registry.js';
import { settle } from '../../../lib/sqlite/settle.js';
import type { IdentityLink, IdentityStore, UnlinkResult } from '../../identities.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (issuer, subject)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS cloakroom_identities_user ON cloakroom_identities (user_id);
`;

/** `cloakroom_identities` as a component of a database's `SqliteMigrations` (add it after the accounts). */
export const SQLITE_IDENTITY_MIGRATIONS: SqliteMigrationComponent = { component: 'identities', sql: SCHEMA };

/** Creates the identity link table (`cloakroom_identities`, beside `users`) if it is missing. */
export function migrateSqliteIdentities(db: Database): void {
  db.exec(SQLITE_IDENTITY_MIGRATIONS.sql);
}

interface LinkRow {
  issuer: string;
  subject: string;
  user_id: string;
  provider: string;
  created_at: number;
}

const toLink = (row: LinkRow): IdentityLink => ({
  userId: row.user_id,
  provider: row.provider,
  issuer: row.issuer,
  subject: row.subject,
  createdAt: row.created_at,
});

/**
 * Identity links in SQLite, in the database of the `users` table.
 *
 * @example
 * ```ts
 * const identities = new SqliteIdentityStore(db);
 * ```
 */
export class SqliteIdentityStore implements IdentityStore {
  readonly #find: Statement;
  readonly #list: Statement;
  readonly #link: Statement;
  readonly #unlink: Statement;
  readonly #exists: Statement;

  constructor(db: Database) {
    migrateSqliteIdentities(db);
    const columns = 'issuer, subject, user_id, provider, created_at';
    this.#find = db.prepare(`SELECT ${columns} FROM cloakroom_identities WHERE issuer = ? AND subject = ?`);
    this.#list = db.prepare(
      `SELECT ${columns} FROM cloakroom_identities WHERE user_id = ? ORDER BY created_at, issuer, subject`,
    );
    this.#link = db.prepare(
      `INSERT INTO cloakroom_identities (${columns}) VALUES (@issuer, @subject, @userId, @provider, @createdAt)
       ON CONFLICT (issuer, subject) DO NOTHING`,
    );
    // One statement: the "not the last one" condition is checked where the row is deleted.
    this.#unlink = db.prepare(`
      DELETE FROM cloakroom_identities
      WHERE user_id = @userId AND issuer = @issuer AND subject = @subject
        AND (@keepOne = 0 OR (SELECT count(*) FROM cloakroom_identities WHERE user_id = @userId) > 1)`);
    this.#exists = db.prepare(
      'SELECT 1 FROM cloakroom_identities WHERE user_id = ? AND issuer = ? AND subject = ?',
    );
  }

  findByIdentity(issuer: string, subject: string): Promise<IdentityLink | null> {
    return settle(() => {
      const row = this.#find.get(issuer, subject) as LinkRow | undefined;
      return row === undefined ? null : toLink(row);
    });
  }

  listByUser(userId: string): Promise<IdentityLink[]> {
    return settle(() => (this.#list.all(userId) as LinkRow[]).map(toLink));
  }

  link(link: IdentityLink): Promise<boolean> {
    return settle(() => this.#link.run(link).changes === 1);
  }

  unlink(
    userId: string,
    issuer: string,
    subject: string,
    options: { keepOne: boolean },
  ): Promise<UnlinkResult> {
    return settle(() => {
      const removed = this.#unlink.run({ userId, issuer, subject, keepOne: options.keepOne ? 1 : 0 }).changes;
      if (removed === 1) return 'unlinked';
      return this.#exists.get(userId, issuer, subject) === undefined ? 'not_found' : 'last_sign_in_method';
    });
  }
}
