import { createHash } from 'node:crypto';
import type { Pool, QueryConfig, QueryResultRow } from 'pg';
import type { Clock } from '../../clock.js';
import type {
  SessionCounter,
  SessionCounts,
  SessionIndex,
  SessionRecord,
  SessionStore,
  SessionTouch,
  SessionUser,
  StoredSession,
} from '../types.js';
import { runMigrations } from '../../lib/postgres/migrate.js';
import { ReconnectBackoff, type ReconnectBackoffOptions } from '../../lib/backoff.js';
import { guardPool, isConnectFailure, isConnectionLost } from '../../lib/postgres/pool.js';
import { sessionMigrations, statements, type SqlNames } from './sql.js';
import { checkAuthFields, decodeAmr, decodeAuthTime } from '../auth-fields.js';

export { postgresPoolOptions, guardPool } from '../../lib/postgres/pool.js';
export { type ReconnectBackoffOptions } from '../../lib/backoff.js';
export { runMigrations, type MigrateOptions, type Migration } from '../../lib/postgres/migrate.js';
export { PostgresMigrations, type PostgresMigrationComponent } from '../../lib/postgres/registry.js';

/** Where the PostgreSQL store finds users, so a validation brings the user in the same query (a LEFT JOIN). */
export interface PostgresUserSource<U> {
  /** The users table, e.g. `users`. */
  table: string;
  /** Its schema; default: the store's `schema`. */
  schema?: string;
  /** Its primary key column, compared with the session's `user_id` (so it must be `text`). Default `id`. */
  idColumn?: string;
  /** The columns to read; the user is built from them. */
  columns: readonly string[];
  /** Builds the user from the selected columns (keyed by column name). Default: that record as it is. */
  toUser?: (row: Record<string, unknown>) => U;
}

export interface PostgresStoreOptions<U> {
  /** The schema of the sessions table and of `cloakroom_migrations`. Default: the connection's search path. */
  schema?: string;
  /** The sessions table. Default `cloakroom_sessions`; created by `migrate()`. */
  table?: string;
  /** Join users from this table; without it the user is `{ id: userId }`. */
  users?: PostgresUserSource<U>;
  /** Rows removed per statement when sweeping, so a sweep never holds many row locks at once. Default 1,000. */
  sweepBatchSize?: number;
  /** Called with the error when an idle pooled connection is lost (the pool has already dropped it). */
  onPoolError?: (error: Error) => void;
  /**
   * After a failed connection, calls fail at once (503 through the session layer) for a jittered wait that
   * doubles from `baseMs` (50) up to `maxMs` (1,000), instead of every request trying to connect.
   */
  reconnectBackoff?: ReconnectBackoffOptions;
  /**
   * Run the statements as named prepared statements (`pg`'s `{ name, text, values }`): each connection
   * parses and plans a statement once, then only binds and executes it. Default `true`. Turn it off behind
   * a pooler that cannot keep prepared statements (PgBouncer in transaction mode before 1.21, or without
   * `max_prepared_statements`).
   */
  preparedStatements?: boolean;
  /** Time source for the reconnect backoff (tests). */
  clock?: Clock;
}

type Statements = ReturnType<typeof statements>;

interface SessionRow {
  id: string;
  user_id: string;
  secret_hash: Buffer;
  // bigint arrives as a string (pg keeps 64-bit integers exact); milliseconds fit a double exactly.
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  absolute_expires_at: string;
  user_agent: string | null;
  ip: string | null;
  version: number;
  auth_time: string | null;
  amr: string | null;
  u_found?: boolean;
  [column: string]: unknown;
}

/**
 * The session store for several processes, on a `pg` pool you create and own (see `postgresPoolOptions`
 * for settings that keep failures bounded in time). Every query is parameterized; each operation is one
 * statement, so one round trip. `PostgresStore.create` migrates before it resolves.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { PostgresStore, postgresPoolOptions } from 'cloakroom/stores/postgres';
 * const pool = new pg.Pool(postgresPoolOptions({ connectionString: process.env.DATABASE_URL }));
 * const store = await PostgresStore.create(pool, { users: { table: 'users', columns: ['id', 'email'] } });
 * ```
 */
export class PostgresStore<U = SessionUser> implements SessionStore<U>, SessionIndex, SessionCounter {
  readonly index: SessionIndex = this;
  readonly counter: SessionCounter = this;
  readonly #pool: Pool;
  readonly #names: SqlNames;
  readonly #sql: Statements;
  readonly #toUser: (row: SessionRow) => U | null;
  readonly #sweepBatchSize: number;
  readonly #backoff: ReconnectBackoff;
  readonly #prepared: boolean;

  /** Builds the store without touching the database; call `migrate()` (or use `create`) before use. */
  constructor(pool: Pool, options: PostgresStoreOptions<U> = {}) {
    const users = options.users;
    const schema = options.schema ?? null;
    this.#names = {
      schema,
      sessions: options.table ?? 'cloakroom_sessions',
      users: users
        ? {
            schema: users.schema ?? schema,
            table: users.table,
            id: users.idColumn ?? 'id',
            columns: users.columns,
          }
        : null,
    };
    this.#sweepBatchSize = options.sweepBatchSize ?? 1000;
    if (!Number.isInteger(this.#sweepBatchSize) || this.#sweepBatchSize < 1) {
      throw new TypeError('sweepBatchSize must be a positive integer');
    }
    // Builds (and so checks) every identifier before anything reaches the database.
    sessionMigrations(this.#names);
    this.#sql = statements(this.#names);
    this.#pool = pool;
    this.#backoff = new ReconnectBackoff(
      { name: 'PostgreSQL', isConnectFailure },
      options.reconnectBackoff,
      options.clock,
    );
    this.#prepared = options.preparedStatements ?? true;
    this.#toUser = users === undefined ? (row) => ({ id: row.user_id }) as U : userReader(users);
    guardPool(pool, options.onPoolError);
  }

  /** Makes the store and applies its migrations. */
  static async create<U = SessionUser>(
    pool: Pool,
    options: PostgresStoreOptions<U> = {},
  ): Promise<PostgresStore<U>> {
    const store = new PostgresStore<U>(pool, options);
    await store.migrate();
    return store;
  }

  /**
   * Creates or upgrades the sessions table. Safe to run from several processes at once and on every start;
   * resolves to the versions it applied (none when the schema is current).
   */
  migrate(): Promise<number[]> {
    return runMigrations(this.#pool, {
      schema: this.#names.schema,
      component: `sessions:${this.#names.sessions}`,
      migrations: sessionMigrations(this.#names),
    });
  }

  async get(id: string): Promise<StoredSession<U> | null> {
    const { rows } = await this.#read<SessionRow>(this.#sql.get, [id]);
    const row = rows[0];
    return row === undefined ? null : { session: toRecord(row), user: this.#toUser(row) };
  }

  async create(session: SessionRecord): Promise<void> {
    await this.#query(this.#sql.insert, recordValues(session));
  }

  async touch(id: string, touch: SessionTouch): Promise<boolean> {
    const { lastSeenAt, expiresAt, version } = touch;
    const result = await this.#query(this.#sql.touch, [id, lastSeenAt, expiresAt, version]);
    return result.rowCount === 1;
  }

  async replace(id: string, version: number, next: SessionRecord): Promise<boolean> {
    const result = await this.#query(this.#sql.replace, [id, version, ...recordValues(next)]);
    return result.rowCount === 1;
  }

  async delete(id: string): Promise<void> {
    await this.#query(this.#sql.delete, [id]);
  }

  async listByUser(userId: string): Promise<SessionRecord[]> {
    const { rows } = await this.#read<SessionRow>(this.#sql.listByUser, [userId]);
    return rows.map(toRecord);
  }

  async deleteByUser(userId: string, options: { except?: string } = {}): Promise<number> {
    const result =
      options.except === undefined
        ? await this.#query(this.#sql.deleteByUser, [userId])
        : await this.#query(this.#sql.deleteByUserExcept, [userId, options.except]);
    return result.rowCount ?? 0;
  }

  async countSessions(now: number): Promise<SessionCounts> {
    const { rows } = await this.#read<{ live: string; expired: string }>(this.#sql.count, [now]);
    const row = rows[0];
    return { live: Number(row?.live ?? 0), expired: Number(row?.expired ?? 0) };
  }

  async deleteExpired(now: number): Promise<number> {
    let removed = 0;
    for (;;) {
      const result = await this.#query(this.#sql.deleteExpiredBatch, [now, this.#sweepBatchSize]);
      const changes = result.rowCount ?? 0;
      removed += changes;
      if (changes < this.#sweepBatchSize) return removed;
    }
  }

  /**
   * A read, retried once on a fresh connection when the connection died under it (a restarted server, a
   * terminated backend). Reads only: a write whose connection died may have committed. Timeouts are not
   * retried, so a slow server still fails within the configured bound.
   */
  async #read<R extends QueryResultRow>(text: string, values: unknown[]) {
    try {
      return await this.#query<R>(text, values);
    } catch (error) {
      if (!isConnectionLost(error)) throw error;
      return await this.#query<R>(text, values);
    }
  }

  /** One statement, through the reconnect backoff, named (prepared once per connection) unless turned off. */
  #query<R extends QueryResultRow = QueryResultRow>(text: string, values: unknown[]) {
    const query: QueryConfig = this.#prepared
      ? { name: statementName(text), text, values }
      : { text, values };
    return this.#backoff.run(() => this.#pool.query<R>(query));
  }
}

const names = new Map<string, string>();

/** A prepared statement's name: from its text, so stores on other tables or schemas never share one. */
function statementName(text: string): string {
  let name = names.get(text);
  if (name === undefined) {
    name = `cloakroom_${createHash('sha256').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name;
}

function recordValues(record: SessionRecord): unknown[] {
  const amr = checkAuthFields(record).join(' ');
  return [
    record.id,
    record.userId,
    Buffer.from(record.secretHash),
    record.createdAt,
    record.lastSeenAt,
    record.expiresAt,
    record.absoluteExpiresAt,
    record.userAgent,
    record.ip,
    record.version,
    record.authTime,
    amr,
  ];
}

function toRecord(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    userAgent: row.user_agent,
    ip: row.ip,
    version: row.version,
    authTime: decodeAuthTime(row.auth_time, Number(row.created_at)),
    amr: decodeAmr(row.amr),
  };
}

function userReader<U>(users: PostgresUserSource<U>): (row: SessionRow) => U | null {
  const toUser = users.toUser ?? ((record: Record<string, unknown>) => record as U);
  return (row) => {
    if (row.u_found !== true) return null;
    // fromEntries defines own properties, so even a column named `__proto__` cannot set a prototype.
    return toUser(Object.fromEntries(users.columns.map((column, i) => [column, row[`u${i}`]])));
  };
}
