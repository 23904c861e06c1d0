import type { Database, Statement } from 'better-sqlite3';
import type {
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../types.js';
import { schema, statements, type SqlNames } from './sql.js';

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
export class SqliteStore<U = SessionUser> implements SessionStore<U>, SessionIndex {
  readonly index: SessionIndex = this;
  readonly #sql: Statements;
  readonly #toUser: (row: SessionRow) => U | null;
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
    const text = statements(names);
    if (!db.memory) db.pragma('journal_mode = WAL');
    db.exec(ddl);
    this.#sql = Object.fromEntries(
      Object.entries(text).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as Statements;
    this.#toUser = users === undefined ? (row) => ({ id: row.user_id }) as U : userReader(users);
    this.#replace = db.transaction((id: string, version: number, next: SessionRecord) => {
      if (this.#sql.deleteVersion.run(id, version).changes !== 1) return false;
      this.#sql.insert.run(next);
      return true;
    });
  }

  get(id: string): Promise<StoredSession<U> | null> {
    return settle(() => {
      const row = this.#sql.get.get(id) as SessionRow | undefined;
      return row === undefined ? null : { session: toRecord(row), user: this.#toUser(row) };
    });
  }

  create(session: SessionRecord): Promise<void> {
    return settle(() => {
      this.#sql.insert.run(session);
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

// better-sqlite3 is synchronous; a thrown error must become a rejection, never an exception out of a
// promise-returning method.
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
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
  };
}

function userReader<U>(users: SqliteUserSource<U>): (row: SessionRow) => U | null {
  const toUser = users.toUser ?? ((record: Record<string, unknown>) => record as U);
  return (row) => {
    if (row.u__found === null || row.u__found === undefined) return null;
    const record: Record<string, unknown> = {};
    for (const column of users.columns) record[column] = row[`u_${column}`];
    return toUser(record);
  };
}
