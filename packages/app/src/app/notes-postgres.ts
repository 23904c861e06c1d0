import type { Pool } from 'pg';
import { randomUUID } from 'node:crypto';
import { storeCall } from 'cloakroom/stores';
import type { Migration, PostgresMigrationComponent } from 'cloakroom/stores/postgres';
import { toNote, type Note, type NoteRow, type NotesRepository } from './notes.js';

const COLUMNS = 'id, title, body, created_at, updated_at';

const NOTES_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'notes owned by users',
    sql: `
          CREATE TABLE notes (
            id text PRIMARY KEY,
            user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
            title text NOT NULL,
            body text NOT NULL,
            created_at bigint NOT NULL,
            updated_at bigint NOT NULL
          );
          CREATE INDEX notes_user_recent ON notes (user_id, updated_at DESC, id);
        `,
  },
];

/** The notes table, as the site's own migration component beside the session and account tables. */
export const POSTGRES_NOTES_MIGRATIONS: PostgresMigrationComponent = {
  component: 'app-notes',
  migrations: () => NOTES_MIGRATIONS,
};

/** Notes in PostgreSQL, for a site run as several processes. Every query is scoped by user id. */
export class PostgresNotes implements NotesRepository {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  list(userId: string): Promise<Note[]> {
    return storeCall('notes.list', async () => {
      const { rows } = await this.#pool.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes WHERE user_id = $1 ORDER BY updated_at DESC, id LIMIT 1000`,
        [userId],
      );
      return rows.map(toNote);
    });
  }

  get(userId: string, id: string): Promise<Note | null> {
    return storeCall('notes.get', async () => {
      const { rows } = await this.#pool.query<NoteRow>(
        `SELECT ${COLUMNS} FROM notes WHERE user_id = $1 AND id = $2`,
        [userId, id],
      );
      return rows[0] === undefined ? null : toNote(rows[0]);
    });
  }

  create(userId: string, input: { title: string; body: string }): Promise<Note> {
    return storeCall('notes.create', async () => {
      const now = Date.now();
      const { rows } = await this.#pool.query<NoteRow>(
        `INSERT INTO notes (id, user_id, title, body, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         RETURNING ${COLUMNS}`,
        [randomUUID(), userId, input.title, input.body, now],
      );
      return toNote(rows[0] as NoteRow);
    });
  }

  update(
    userId: string,
    id: string,
    changes: { title?: string | undefined; body?: string | undefined },
  ): Promise<Note | null> {
    return storeCall('notes.update', async () => {
      const { rows } = await this.#pool.query<NoteRow>(
        `UPDATE notes SET title = coalesce($1, title), body = coalesce($2, body), updated_at = $3
         WHERE user_id = $4 AND id = $5 RETURNING ${COLUMNS}`,
        [changes.title ?? null, changes.body ?? null, Date.now(), userId, id],
      );
      return rows[0] === undefined ? null : toNote(rows[0]);
    });
  }

  delete(userId: string, id: string): Promise<boolean> {
    return storeCall('notes.delete', async () => {
      const { rowCount } = await this.#pool.query('DELETE FROM notes WHERE user_id = $1 AND id = $2', [
        userId,
        id,
      ]);
      return rowCount === 1;
    });
  }
}
