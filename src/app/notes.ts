import type { Database, Statement } from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';

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

interface NoteRow {
  id: string;
  title: string;
  body: string;
  created_at: number;
  updated_at: number;
}

const toNote = (row: NoteRow): Note => ({
  id: row.id,
  title: row.title,
  body: row.body,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** Each user's notes. Every query is scoped by user id: another user's note is simply not found. */
export class Notes {
  readonly #list: Statement;
  readonly #get: Statement;
  readonly #insert: Statement;
  readonly #update: Statement;
  readonly #delete: Statement;

  constructor(db: Database) {
    const columns = 'id, title, body, created_at, updated_at';
    this.#list = db.prepare(
      `SELECT ${columns} FROM notes WHERE user_id = ? ORDER BY updated_at DESC, id LIMIT 1000`,
    );
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

  list(userId: string): Note[] {
    return (this.#list.all(userId) as NoteRow[]).map(toNote);
  }

  get(userId: string, id: string): Note | null {
    const row = this.#get.get(userId, id) as NoteRow | undefined;
    return row === undefined ? null : toNote(row);
  }

  create(userId: string, input: { title: string; body: string }): Note {
    const now = Date.now();
    const id = randomUUID();
    this.#insert.run(id, userId, input.title, input.body, now, now);
    return toNote({ id, title: input.title, body: input.body, created_at: now, updated_at: now });
  }

  update(
    userId: string,
    id: string,
    changes: { title?: string | undefined; body?: string | undefined },
  ): Note | null {
    const row = this.#update.get(changes.title ?? null, changes.body ?? null, Date.now(), userId, id) as
      NoteRow | undefined;
    return row === undefined ? null : toNote(row);
  }

  delete(userId: string, id: string): boolean {
    return this.#delete.run(userId, id).changes === 1;
  }
}
