import type { Pool } from 'pg';
import { storeCall } from 'cloakroom/stores';
import type { Migration, PostgresMigrationComponent } from 'cloakroom/stores/postgres';
import { toActivityRecord } from './sqlite.js';
import type { ActivityPosition, ActivityRecord, ActivityRepository } from './types.js';

const ACTIVITY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users' recent security events",
    sql: `
          CREATE TABLE activity (
            id bigserial PRIMARY KEY,
            user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            at bigint NOT NULL,
            type text NOT NULL,
            session_id text,
            ip text,
            user_agent text,
            details text NOT NULL
          );
          CREATE INDEX activity_user_recent ON activity (user_id, at DESC, id DESC);
          CREATE INDEX activity_at ON activity (at);
        `,
  },
];

/** The activity table, as the site's own migration component beside the notes. */
export const POSTGRES_ACTIVITY_MIGRATIONS: PostgresMigrationComponent = {
  component: 'app-activity',
  migrations: () => ACTIVITY_MIGRATIONS,
};

const COLUMNS = 'id, user_id, at, type, session_id, ip, user_agent, details';

/** Activity in PostgreSQL, for a site run as several processes. */
export class PostgresActivity implements ActivityRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  record(entry: Omit<ActivityRecord, 'id'>): Promise<void> {
    return storeCall('activity.record', async () => {
      await this.#pool.query(
        `INSERT INTO activity (user_id, at, type, session_id, ip, user_agent, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [entry.userId, entry.at, entry.type, entry.sessionId, entry.ip, entry.userAgent, entry.details],
      );
    });
  }

  list(
    userId: string,
    options: { since: number; before: ActivityPosition | null; limit: number },
  ): Promise<ActivityRecord[]> {
    return storeCall('activity.list', async () => {
      const { since, before, limit } = options;
      const { rows } =
        before === null
          ? await this.#pool.query(
              `SELECT ${COLUMNS} FROM activity WHERE user_id = $1 AND at >= $2
               ORDER BY at DESC, id DESC LIMIT $3`,
              [userId, since, limit],
            )
          : await this.#pool.query(
              `SELECT ${COLUMNS} FROM activity WHERE user_id = $1 AND at >= $2 AND (at, id) < ($3, $4)
               ORDER BY at DESC, id DESC LIMIT $5`,
              [userId, since, before.at, before.id, limit],
            );
      return rows.map(toActivityRecord);
    });
  }

  prune(before: number): Promise<number> {
    return storeCall('activity.prune', async () => {
      const { rowCount } = await this.#pool.query('DELETE FROM activity WHERE at < $1', [before]);
      return rowCount ?? 0;
    });
  }
}
