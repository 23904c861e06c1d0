import type { Database, Statement } from 'better-sqlite3';
import { storeCall } from 'cloakroom/stores';
import type { SqliteMigrationComponent } from 'cloakroom/stores/sqlite';
import type { ActivityPosition, ActivityRecord, ActivityRepository } from './types.js';

/** The activity table in the site's SQLite database, as a component of its `SqliteMigrations`. */
export const SQLITE_ACTIVITY_MIGRATIONS: SqliteMigrationComponent = {
  component: 'app-activity',
  sql: `
    CREATE TABLE IF NOT EXISTS activity (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      at INTEGER NOT NULL,
      type TEXT NOT NULL,
      session_id TEXT,
      ip TEXT,
      user_agent TEXT,
      details TEXT NOT NULL
    );
    -- The page query's order exactly (newest first, id to break ties); the second serves pruning.
    CREATE INDEX IF NOT EXISTS activity_user_recent ON activity (user_id, at DESC, id DESC);
    CREATE INDEX IF NOT EXISTS activity_at ON activity (at);
  `,
};

/** A row as either driver returns it (PostgreSQL's bigint columns arrive as strings). */
interface ActivityRow {
  id: number | string;
  user_id: string;
  at: number | string;
  type: string;
  session_id: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
}

export const toActivityRecord = (row: ActivityRow): ActivityRecord => ({
  id: Number(row.id),
  userId: row.user_id,
  at: Number(row.at),
  type: row.type as ActivityRecord['type'],
  sessionId: row.session_id,
  ip: row.ip,
  userAgent: row.user_agent,
  details: row.details,
});

const COLUMNS = 'id, user_id, at, type, session_id, ip, user_agent, details';

/** Activity in the site's SQLite database (the embedded default). */
export class SqliteActivity implements ActivityRepository {
  readonly #insert: Statement;
  readonly #first: Statement;
  readonly #after: Statement;
  readonly #prune: Statement;

  constructor(db: Database) {
    this.#insert = db.prepare(
      `INSERT INTO activity (user_id, at, type, session_id, ip, user_agent, details)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#first = db.prepare(
      `SELECT ${COLUMNS} FROM activity WHERE user_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?`,
    );
    this.#after = db.prepare(
      `SELECT ${COLUMNS} FROM activity WHERE user_id = ? AND at >= ? AND (at < ? OR (at = ? AND id < ?))
       ORDER BY at DESC, id DESC LIMIT ?`,
    );
    this.#prune = db.prepare('DELETE FROM activity WHERE at < ?');
  }

  record(entry: Omit<ActivityRecord, 'id'>): Promise<void> {
    return storeCall('activity.record', () => {
      this.#insert.run(
        entry.userId,
        entry.at,
        entry.type,
        entry.sessionId,
        entry.ip,
        entry.userAgent,
        entry.details,
      );
      return Promise.resolve();
    });
  }

  list(
    userId: string,
    options: { since: number; before: ActivityPosition | null; limit: number },
  ): Promise<ActivityRecord[]> {
    return storeCall('activity.list', () => {
      const { since, before, limit } = options;
      const rows = (
        before === null
          ? this.#first.all(userId, since, limit)
          : this.#after.all(userId, since, before.at, before.at, before.id, limit)
      ) as ActivityRow[];
      return Promise.resolve(rows.map(toActivityRecord));
    });
  }

  prune(before: number): Promise<number> {
    return storeCall('activity.prune', () => Promise.resolve(this.#prune.run(before).changes));
  }
}
