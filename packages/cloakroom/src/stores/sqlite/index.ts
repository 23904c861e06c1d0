import type { Database, Statement } from 'better-sqlite3';
import type {
  ImmediateRead,
  SessionCounter,
  SessionCounts,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../types.js';
import { addedColumns, schema, statements, type SqlNames } from './sql.js';
import { settle } from '../../lib/sqlite/settle.js';
import { applySqliteComponent } from '../../lib/sqlite/registry.js';
import { checkAuthFields, decodeAmr, decodeAuthTime } from '../auth-fields.js';

/** Where the SQLite store finds users, so a validation brings the user in the same query (a LEFT JOIN). */
export interface SqliteUserSource<U> {
  /** The users table, e.g. `users`. */
  table: string;
  /** Its primary key column, compared with the session's user id. Default `id`. */
  idColumn?: string;
  /** The columns to read; the user is built from them. */
  columns: readonly string[];
  /** Builds the user from the selected columns (keyed by column name). Default: that record as it is. */
  toUser?: (row: Record<string, unknown>) => U;
}

export interface SqliteStoreOptions<U> {
  /** The sessions table. Default `cloakroom_sessions`; created if missing. */
  table?: string;
  /** Join users from this table; without it the user is `{ id: userId }`. */
  users?: SqliteUserSource<U>;
  /** Rows removed per statement when sweeping, so a sweep never holds the write lock for long. Default 1,000. */
  sweepBatchSize?: number;
}

type Statements = Record<keyof ReturnType<typeof statements>, Statement>;

interface SessionRow {
  id: string;
  user_id: string;
  secret_hash: Buffer;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  absolute_expires_at: number;
  user_agent: string | null;
  ip: string | null;
  version: number;
  auth_time: number | null;
  amr: string | null;
  u__found?: unknown;
  [column: string]: unknown;
}

/**
 * The embedded default store, on a `better-sqlite3` database you open and own. It switches the database
 * to WAL (readers never wait for the writer) and creates its table and indexes if they are missing.
 *
 * @example
 * ```ts
 * import Database from 'better-sqlite3';
 * const store = new SqliteStore(new Database('data/sessions.db'));
 * ```
 */
export class SqliteStore<U = SessionUser>
  implements SessionStore<U>, SessionIndex, SessionCounter, ImmediateRead<U>
{
  readonly index: SessionIndex = this;
  readonly counter: SessionCounter = this;
  /** better-sqlite3 is synchronous: validation reads through `getNow` without awaiting a promise. */
  readonly immediate: ImmediateRead<U> = this;
  readonly #sql: Statements;
  /** The validation read, in raw mode: rows come back as arrays, which better-sqlite3 builds faster. */
  readonly #get: Statement;
  readonly #fromRow: (row: unknown[]) => StoredSession<U>;
  readonly #sweepBatchSize: number;
  readonly #replace: (id: string, version: number, next: SessionRecord) => boolean;

  constructor(db: Database, options: SqliteStoreOptions<U> = {}) {
    const users = options.users;
    const names: SqlNames = {
      sessions: options.table ?? 'cloakroom_sessions',
      users: users ? { table: users.table, id: users.idColumn ?? 'id', columns: users.columns } : null,
    };
    this.#sweepBatchSize = options.sweepBatchSize ?? 1000;
    if (!Number.isInteger(this.#sweepBatchSize) || this.#sweepBatchSize < 1) {
      throw new TypeError('sweepBatchSize must be a positive integer');
    }
    // Builds (and so checks) every identifier before anything touches the database.
    const ddl = schema(names);
    const columns = addedColumns(names);
    const text = statements(names);
    if (!db.memory) db.pragma('journal_mode = WAL');
    applySqliteComponent(db, { component: `sessions:${names.sessions}`, sql: ddl, columns });
    this.#sql = Object.fromEntries(
      Object.entries(text).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements;
    this.#get = this.#sql.get.raw(true);
    this.#fromRow = rowReader(
      this.#get.columns().map((column) => column.name),
      users,
    );
    this.#replace = db.transaction((id: string, version: number, next: SessionRecord) => {
      const row = insertRow(next);
      if (this.#sql.deleteVersion.run(id, version).changes !== 1) return false;
      this.#sql.insert.run(row);
      return true;
    });
  }

  get(id: string): Promise<StoredSession<U> | null> {
    return settle(() => this.getNow(id));
  }

  /** The session and its user, read synchronously; throws where `get` rejects. */
  getNow(id: string): StoredSession<U> | null {
    const row = this.#get.get(id) as unknown[] | undefined;
    return row === undefined ? null : this.#fromRow(row);
  }

  create(session: SessionRecord): Promise<void> {
    return settle(() => {
      this.#sql.insert.run(insertRow(session));
    });
  }

  touch(id: string, touch: SessionTouch): Promise<boolean> {
    // Only the renewal's own fields: a record-shaped argument must not be able to rebind `@id`.
    return settle(() => {
      const { lastSeenAt, expiresAt, version } = touch;
      return this.#sql.touch.run({ id, lastSeenAt, expiresAt, version }).changes === 1;
    });
  }

  replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    return settle(() => this.#replace(id, version, next));
  }

  delete(id: string): Promise<void> {
    return settle(() => {
      this.#sql.delete.run(id);
    });
  }

  listByUser(userId: string): Promise<SessionRecord[]> {
    return settle(() => (this.#sql.listByUser.all(userId) as SessionRow[]).map(toRecord));
  }

  deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    return settle(() =>
      options.except === undefined
        ? this.#sql.deleteByUser.run(userId).changes
        : this.#sql.deleteByUserExcept.run(userId, options.except).changes,
    );
  }

  countSessions(now: number): Promise<SessionCounts> {
    return settle(() => ({
      live: (this.#sql.countLive.get(now) as { n: number }).n,
      expired: (this.#sql.countExpired.get(now) as { n: number }).n,
    }));
  }

  deleteExpired(now: number): Promise<number> {
    return settle(() => {
      let removed = 0;
      for (;;) {
        const { changes } = this.#sql.deleteExpiredBatch.run(now, this.#sweepBatchSize);
        removed += changes;
        if (changes < this.#sweepBatchSize) return removed;
      }
    });
  }
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    absoluteExpiresAt: row.absolute_expires_at,
    userAgent: row.user_agent,
    ip: row.ip,
    version: row.version,
    authTime: decodeAuthTime(row.auth_time, row.created_at),
    amr: decodeAmr(row.amr),
  };
}

/** The insert statement's named parameters: the record's fields, its `amr` packed and checked. */
function insertRow(record: SessionRecord): Record<string, unknown> {
  const amr = checkAuthFields(record).join(' ');
  return {
    id: record.id,
    userId: record.userId,
    secretHash: record.secretHash,
    createdAt: record.createdAt,
    lastSeenAt: record.lastSeenAt,
    expiresAt: record.expiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    userAgent: record.userAgent,
    ip: record.ip,
    version: record.version,
    authTime: record.authTime,
    amr,
  };
}

/**
 * Reads a raw row of the validation SELECT (`columns` are its result column names, in order) into the
 * session and its user: the same values `toRecord` and the users join give, by position instead of by name.
 */
function rowReader<U>(
  columns: readonly string[],
  users: SqliteUserSource<U> | undefined,
): (row: unknown[]) => StoredSession<U> {
  const at = (name: string): number => {
    const index = columns.indexOf(name);
    if (index === -1) throw new Error(`the session query has no column ${name}`);
    return index;
  };
  const [
    id,
    userId,
    secretHash,
    createdAt,
    lastSeenAt,
    expiresAt,
    absoluteExpiresAt,
    userAgent,
    ip,
    version,
    authTime,
    amr,
  ] = [
    'id',
    'user_id',
    'secret_hash',
    'created_at',
    'last_seen_at',
    'expires_at',
    'absolute_expires_at',
    'user_agent',
    'ip',
    'version',
    'auth_time',
    'amr',
  ].map(at) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const toSession = (row: unknown[]): SessionRecord => ({
    id: row[id] as string,
    userId: row[userId] as string,
    secretHash: row[secretHash] as Buffer,
    createdAt: row[createdAt] as number,
    lastSeenAt: row[lastSeenAt] as number,
    expiresAt: row[expiresAt] as number,
    absoluteExpiresAt: row[absoluteExpiresAt] as number,
    userAgent: row[userAgent] as string | null,
    ip: row[ip] as string | null,
    version: row[version] as number,
    authTime: decodeAuthTime(row[authTime], row[createdAt] as number),
    amr: decodeAmr(row[amr] as string | null),
  });
  if (users === undefined) {
    return (row) => ({ session: toSession(row), user: { id: row[userId] as string } as U });
  }
  const toUser = users.toUser ?? ((record: Record<string, unknown>) => record as U);
  // The users join selects `u__found` and then the user's columns, in the order of `users.columns`.
  const found = at('u__found');
  const userColumns = users.columns.map((column, offset) => [column, found + 1 + offset] as const);
  return (row) => {
    let user: U | null = null;
    if (row[found] !== null && row[found] !== undefined) {
      const record: Record<string, unknown> = {};
      for (const [column, index] of userColumns) record[column] = row[index];
      user = toUser(record);
    }
    return { session: toSession(row), user };
  };
}
export {
  SqliteMigrations,
  applySqliteComponent,
  type SqliteColumn,
  type SqliteMigrationComponent,
} from '../../lib/sqlite/registry.js';
