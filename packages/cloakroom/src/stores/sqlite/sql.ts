import type { SqliteColumn } from '../../lib/sqlite/registry.js';

/**
 * All of the SQLite store's SQL, in one place. Table and column names come from options and are checked
 * against a strict identifier pattern before they get here, then quoted.
 */
export interface SqlNames {
  sessions: string;
  users: { table: string; id: string; columns: readonly string[] } | null;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function quoteIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name))
    throw new TypeError(`${what} must be a plain SQL identifier (letters, digits, _)`);
  return `"${name}"`;
}

export function schema(names: SqlNames): string {
  const t = quoteIdentifier(names.sessions, 'table');
  const index = (suffix: string) => quoteIdentifier(`${names.sessions}_${suffix}`, 'table');
  // WITHOUT ROWID: the random id is the primary key, so lookups go straight down one B-tree.
  return `
    CREATE TABLE IF NOT EXISTS ${t} (
      id TEXT PRIMARY KEY NOT NULL,
      user_id TEXT NOT NULL,
      secret_hash BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      absolute_expires_at INTEGER NOT NULL,
      user_agent TEXT,
      ip TEXT,
      version INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS ${index('user_id')} ON ${t} (user_id);
    CREATE INDEX IF NOT EXISTS ${index('expires_at')} ON ${t} (expires_at);
  `;
}

/**
 * Columns added after the table first shipped (`applySqliteComponent` adds each one a table lacks). Rows
 * written before have NULL in them: `auth_time` then reads as `created_at`, `amr` as none.
 */
export function addedColumns(names: SqlNames): SqliteColumn[] {
  quoteIdentifier(names.sessions, 'table');
  return [
    { table: names.sessions, name: 'auth_time', definition: 'INTEGER' },
    { table: names.sessions, name: 'amr', definition: 'TEXT' },
  ];
}

const SESSION_COLUMNS =
  's.id, s.user_id, s.secret_hash, s.created_at, s.last_seen_at, s.expires_at, s.absolute_expires_at, ' +
  's.user_agent, s.ip, s.version, s.auth_time, s.amr';

/** The session and, through a join, its user: the one round trip per validation. */
export function selectSessionAndUser(names: SqlNames): string {
  const t = quoteIdentifier(names.sessions, 'table');
  if (names.users === null) return `SELECT ${SESSION_COLUMNS} FROM ${t} s WHERE s.id = ?`;
  const u = quoteIdentifier(names.users.table, 'users.table');
  const id = quoteIdentifier(names.users.id, 'users.idColumn');
  const columns = names.users.columns
    .map(
      (column) =>
        `u.${quoteIdentifier(column, 'users.columns')} AS ${quoteIdentifier(`u_${column}`, 'users.columns')}`,
    )
    .join(', ');
  return (
    `SELECT ${SESSION_COLUMNS}, u.${id} AS u__found${columns ? `, ${columns}` : ''} ` +
    `FROM ${t} s LEFT JOIN ${u} u ON u.${id} = s.user_id WHERE s.id = ?`
  );
}

export function statements(names: SqlNames) {
  const t = quoteIdentifier(names.sessions, 'table');
  return {
    get: selectSessionAndUser(names),
    insert:
      `INSERT INTO ${t} (id, user_id, secret_hash, created_at, last_seen_at, expires_at, absolute_expires_at, ` +
      `user_agent, ip, version, auth_time, amr) VALUES (@id, @userId, @secretHash, @createdAt, @lastSeenAt, ` +
      `@expiresAt, @absoluteExpiresAt, @userAgent, @ip, @version, @authTime, @amr)`,
    touch:
      `UPDATE ${t} SET last_seen_at = @lastSeenAt, expires_at = @expiresAt, version = version + 1 ` +
      `WHERE id = @id AND version = @version`,
    deleteVersion: `DELETE FROM ${t} WHERE id = ? AND version = ?`,
    delete: `DELETE FROM ${t} WHERE id = ?`,
    listByUser: `SELECT ${SESSION_COLUMNS} FROM ${t} s WHERE s.user_id = ?`,
    deleteByUser: `DELETE FROM ${t} WHERE user_id = ?`,
    deleteByUserExcept: `DELETE FROM ${t} WHERE user_id = ? AND id <> ?`,
    // Two index-only counts on the expiry index (admin statistics).
    countLive: `SELECT count(*) AS n FROM ${t} WHERE expires_at > ?`,
    countExpired: `SELECT count(*) AS n FROM ${t} WHERE expires_at <= ?`,
    // Walks the expiry index from the oldest entry, so a sweep costs O(expired), in bounded batches.
    deleteExpiredBatch: `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`,
  };
}
