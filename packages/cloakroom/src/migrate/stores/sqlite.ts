import type { Database, Statement } from 'better-sqlite3';
import { settle } from '../../lib/sqlite/settle.js';
import type { MigrationStore } from '../types.js';

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS cloakroom_migrate_claims (
    key TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS cloakroom_migrate_counters (
    name TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * The migration store in a SQLite database (the site's own file): every process sharing the file sees
 * the same exchanged credentials and counters.
 *
 * @example
 * ```ts
 * const store = new SqliteMigrationStore(db);
 * ```
 */
export class SqliteMigrationStore implements MigrationStore {
  readonly #claim: Statement;
  readonly #sweep: Statement;
  readonly #increment: Statement;
  readonly #counters: Statement;

  constructor(db: Database) {
    db.exec(SCHEMA);
    // Inserts, or takes over a claim that has expired; `changes` tells whether this call won.
    this.#claim = db.prepare(
      `INSERT INTO cloakroom_migrate_claims (key, expires_at) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at
       WHERE cloakroom_migrate_claims.expires_at <= ?`,
    );
    this.#sweep = db.prepare('DELETE FROM cloakroom_migrate_claims WHERE expires_at <= ?');
    this.#increment = db.prepare(
      `INSERT INTO cloakroom_migrate_counters (name, value) VALUES (?, 1)
       ON CONFLICT (name) DO UPDATE SET value = value + 1`,
    );
    this.#counters = db.prepare('SELECT name, value FROM cloakroom_migrate_counters ORDER BY name');
  }

  claim(key: string, expiresAt: number, now: number): Promise<boolean> {
    return settle(() => this.#claim.run(key, expiresAt, now).changes === 1);
  }

  increment(counter: string): Promise<void> {
    return settle(() => {
      this.#increment.run(counter);
    });
  }

  counters(): Promise<Record<string, number>> {
    return settle(() => {
      const rows = this.#counters.all() as { name: string; value: number }[];
      return Object.fromEntries(rows.map((row) => [row.name, row.value]));
    });
  }

  /** Deletes the claims of credentials that have expired anyway. */
  sweep(now: number): Promise<number> {
    return settle(() => this.#sweep.run(now).changes);
  }
}
