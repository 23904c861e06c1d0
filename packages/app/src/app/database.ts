import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { migrateAccounts } from 'cloakroom/accounts/sqlite';

/** Opens (creating on first run) the site's SQLite database: WAL, foreign keys on, tables migrated. */
export function openDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataDir, 'cloakroom.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // durable across process crashes in WAL mode; fsync at checkpoints
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrateAccounts(db);
  db.exec(`
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
  `);
  return db;
}
