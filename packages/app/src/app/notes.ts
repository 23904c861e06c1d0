import type { Database, Statement } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { storeCall, storeFailure } from 'cloakroom/stores';
import type { SqliteMigrationComponent } from 'cloakroom/stores/sqlite';

/** A note as the API returns it; times are ISO 8601 strings. */
export interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export const NOTE_TITLE_MAX = 200;
export const NOTE_BODY_MAX = 10_000;

export const newNoteSchema = z.strictObject({
  title: z.string().trim().min(1).max(NOTE_TITLE_MAX),
  body: z.string().max(NOTE_BODY_MAX).default(''),
});

export const noteChangesSchema = z
  .strictObject({
    title: z.string().trim().min(1).max(NOTE_TITLE_MAX).optional(),
    body: z.string().max(NOTE_BODY_MAX).optional(),
  })
  .refine((changes) => changes.title !== undefined || changes.body !== undefined, 'nothing to change');

/**
 * Each user's notes. Every query is scoped by user id: another user's note is simply not found. A failing
 * database rejects with `StoreUnavailableError` (503), never a 500.
 */
export interface NotesRepository {
  list(userId: string): Promise<Note[]>;
  get(userId: string, id: string): Promise<Note | null>;
  create(userId: string, input: { title: string; body: string }): Promise<Note>;
  update(
    userId: string,
    id: string,
    changes: { title?: string | undefined; body?: string | undefined },
  ): Promise<Note | null>;
  delete(userId: string, id: string): Promise<boolean>;
}

export interface NoteRow {
  id: string;
  title: string;
  body: string;
  created_at: number | string;
  updated_at: number | string;
}

/**
 * `new Date(ms).toISOString()`, remembered: a note's times never change once written, and every list of
 * notes formats them again (two per note, ~0.6 µs each, the largest share of a list after the query). The
 * map is emptied when it reaches 50,000 entries (a few MB), so it stays bounded.
 */
export function isoTime(ms: number): string {
  let iso = ISO_TIMES.get(ms);
  if (iso === undefined) {
    if (ISO_TIMES.size >= ISO_TIMES_MAX) ISO_TIMES.clear();
    iso = new Date(ms).toISOString();
    ISO_TIMES.set(ms, iso);
  }
  return iso;
}

const ISO_TIMES = new Map<number, string>();
const ISO_TIMES_MAX = 50_000;

export const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: isoTime(Number(row.created_at)),
  updatedAt: isoTime(Number(row.updated_at)),
});

/** The columns every notes query reads, in this order (the SQLite list reads rows as arrays). */
type NoteTuple = [id: string, title: string, body: string, createdAt: number, updatedAt: number];

const tupleToNote = (row: NoteTuple): Note => ({
  id: row[0],
  title: row[1],
  body: row[2],
  createdAt: isoTime(row[3]),
  updatedAt: isoTime(row[4]),
});

/** The notes table in the site's SQLite database, as a component of its `SqliteMigrations`. */
export const SQLITE_NOTES_MIGRATIONS: SqliteMigrationComponent = {
  component: 'app-notes',
  sql: `
    CREATE TABLE IF NOT EXISTS notes (
      id TEXT PRIMARY KEY NOT NULL,
      user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      title TEXT NOT NULL,
      body TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );
    -- Matches the list's ORDER BY exactly (newest first, id to break ties), so no sort step per request.
    DROP INDEX IF EXISTS notes_user;
    CREATE INDEX IF NOT EXISTS notes_user_recent ON notes (user_id, updated_at DESC, id);
  `,
};

/** Notes in the site's SQLite database (the embedded default). */
export class SqliteNotes implements NotesRepository {
  readonly #list: Statement;
  readonly #get: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #delete: Statement;

  constructor(db: Database) {
    const columns = 'id, title, body, created_at, updated_at';
    // The hot read (every notes page and GET /api/notes): rows as arrays, which better-sqlite3 builds faster.
    this.#list = db
      .prepare(`SELECT ${columns} FROM notes WHERE user_id = ? ORDER BY updated_at DESC, id LIMIT 1000`)
      .raw(true);
    this.#get = db.prepare(`SELECT ${columns} FROM notes WHERE user_id = ? AND id = ?`);
    this.#insert = db.prepare(
      'INSERT INTO notes (id, user_id, title, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#update = db.prepare(
      `UPDATE notes SET title = coalesce(?, title), body = coalesce(?, body), updated_at = ?
       WHERE user_id = ? AND id = ? RETURNING ${columns}`,
    );
    this.#delete = db.prepare('DELETE FROM notes WHERE user_id = ? AND id = ?');
  }

  list(userId: string): Promise<Note[]> {
    // The hot read: caught inline rather than through storeCall, whose async frame costs a promise and a
    // microtask on every notes page and `GET /api/notes`. A failure still rejects with the store error.
    try {
      return Promise.resolve((this.#list.all(userId) as NoteTuple[]).map(tupleToNote));
    } catch (error) {
      return Promise.reject(storeFailure('notes.list', error));
    }
  }

  get(userId: string, id: string): Promise<Note | null> {
    return storeCall('notes.get', () => {
      const row = this.#get.get(userId, id) as NoteRow | undefined;
      return Promise.resolve(row === undefined ? null : toNote(row));
    });
  }

  create(userId: string, input: { title: string; body: string }): Promise<Note> {
    return storeCall('notes.create', () => {
      const now = Date.now();
      const id = randomUUID();
      this.#insert.run(id, userId, input.title, input.body, now, now);
      return Promise.resolve(
        toNote({ id, title: input.title, body: input.body, created_at: now, updated_at: now }),
      );
    });
  }

  update(
    userId: string,
    id: string,
    changes: { title?: string | undefined; body?: string | undefined },
  ): Promise<Note | null> {
    return storeCall('notes.update', () => {
      const row = this.#update.get(changes.title ?? null, changes.body ?? null, Date.now(), userId, id) as
        NoteRow | undefined;
      return Promise.resolve(row === undefined ? null : toNote(row));
    });
  }

  delete(userId: string, id: string): Promise<boolean> {
    return storeCall('notes.delete', () => Promise.resolve(this.#delete.run(userId, id).changes === 1));
  }
}
