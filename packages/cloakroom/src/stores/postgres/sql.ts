import { qualify, quoteIdentifier, type Migration } from '../../lib/postgres/sql.js';

/**
 * All of the PostgreSQL session store's SQL, in one place. Table, schema and column names come from options
 * and are checked against a strict identifier pattern before they get here, then quoted; every value is a
 * `$n` parameter.
 */
export interface SqlNames {
  /** The schema of every table, or `null` for the connection's search path. */
  schema: string | null;
  sessions: string;
  users: { schema: string | null; table: string; id: string; columns: readonly string[] } | null;
}

/** The sessions table's migrations. Times are bigint milliseconds since the epoch, as in `SessionRecord`. */
export function sessionMigrations(names: SqlNames): Migration[] {
  const t = qualify(names.schema, names.sessions, 'table');
  const index = (suffix: string) => quoteIdentifier(`${names.sessions}_${suffix}`, 'table');
  return [
    {
      version: 1,
      description: 'sessions table, by user and by expiry',
      sql: `
        CREATE TABLE ${t} (
          id text PRIMARY KEY,
          user_id text NOT NULL,
          secret_hash bytea NOT NULL,
          created_at bigint NOT NULL,
          last_seen_at bigint NOT NULL,
          expires_at bigint NOT NULL,
          absolute_expires_at bigint NOT NULL,
          user_agent text,
          ip text,
          version integer NOT NULL
        );
        CREATE INDEX ${index('user_id')} ON ${t} (user_id);
        CREATE INDEX ${index('expires_at')} ON ${t} (expires_at);
      `,
    },
    {
      version: 2,
      // NULL in rows written before: auth_time then reads as created_at, amr as none.
      description: 'how each session was authenticated: auth_time and amr',
      sql: `ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS auth_time bigint, ADD COLUMN IF NOT EXISTS amr text;`,
    },
  ];
}

const SESSION_COLUMNS =
  's.id, s.user_id, s.secret_hash, s.created_at, s.last_seen_at, s.expires_at, s.absolute_expires_at, ' +
  's.user_agent, s.ip, s.version, s.auth_time, s.amr';

/**
 * The session and, through a join, its user: the one round trip per validation. User columns are aliased by
 * position (`u0`, `u1`, …), so no column name can collide with a session column or outgrow 63 bytes.
 */
export function selectSessionAndUser(names: SqlNames): string {
  const t = qualify(names.schema, names.sessions, 'table');
  if (names.users === null) return `SELECT ${SESSION_COLUMNS} FROM ${t} s WHERE s.id = $1`;
  const u = qualify(names.users.schema, names.users.table, 'users.table');
  const id = quoteIdentifier(names.users.id, 'users.idColumn');
  const columns = names.users.columns.map(
    (column, i) => `, u.${quoteIdentifier(column, 'users.columns')} AS u${i}`,
  );
  return (
    `SELECT ${SESSION_COLUMNS}, u.${id} IS NOT NULL AS u_found${columns.join('')} ` +
    `FROM ${t} s LEFT JOIN ${u} u ON u.${id} = s.user_id WHERE s.id = $1`
  );
}

const INSERT_COLUMNS =
  'id, user_id, secret_hash, created_at, last_seen_at, expires_at, absolute_expires_at, user_agent, ip, ' +
  'version, auth_time, amr';

export function statements(names: SqlNames) {
  const t = qualify(names.schema, names.sessions, 'table');
  return {
    get: selectSessionAndUser(names),
    insert: `INSERT INTO ${t} (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
    touch:
      `UPDATE ${t} SET last_seen_at = $2, expires_at = $3, version = version + 1 ` +
      `WHERE id = $1 AND version = $4`,
    // Rotation in one statement: the successor is inserted only if the old row, at that version, was
    // deleted. A concurrent touch or delete either commits first (then nothing is deleted or inserted) or
    // waits on the row lock. Casts, since INSERT … SELECT does not type the parameters from the columns.
    replace:
      `WITH gone AS (DELETE FROM ${t} WHERE id = $1 AND version = $2 RETURNING id) ` +
      `INSERT INTO ${t} (${INSERT_COLUMNS}) SELECT $3::text, $4::text, $5::bytea, $6::bigint, $7::bigint, ` +
      `$8::bigint, $9::bigint, $10::text, $11::text, $12::integer, $13::bigint, $14::text FROM gone`,
    delete: `DELETE FROM ${t} WHERE id = $1`,
    listByUser: `SELECT ${SESSION_COLUMNS} FROM ${t} s WHERE s.user_id = $1`,
    deleteByUser: `DELETE FROM ${t} WHERE user_id = $1`,
    deleteByUserExcept: `DELETE FROM ${t} WHERE user_id = $1 AND id <> $2`,
    // One pass over the expiry index (admin statistics); bigint counts come back as strings.
    count:
      `SELECT count(*) FILTER (WHERE expires_at > $1) AS live, ` +
      `count(*) FILTER (WHERE expires_at <= $1) AS expired FROM ${t}`,
    // Walks the expiry index from the oldest entry, so a sweep costs O(expired), in bounded batches; SKIP
    // LOCKED lets sweeps in several processes (and a touch holding a row) pass each other without waiting.
    deleteExpiredBatch:
      `DELETE FROM ${t} WHERE id IN (SELECT id FROM ${t} WHERE expires_at <= $1 ` +
      `ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)`,
  };
}
