import type { Database } from 'better-sqlite3';

/**
 * What a feature contributes to a SQLite database's schema: its component name and idempotent statements
 * (`CREATE TABLE IF NOT EXISTS`, `CREATE INDEX IF NOT EXISTS`, ...) that bring its tables up to date. SQLite
 * keeps no record of applied steps (the tables predate one), so every statement must be safe to run again.
 */
export interface SqliteMigrationComponent {
  /** E.g. `accounts`; a registry runs each component once. */
  readonly component: string;
  /** One or more idempotent statements. */
  readonly sql: string;
}

/**
 * One SQLite database's schema: every feature that keeps tables in it adds its component, and one `migrate`
 * runs them all, in the order added (add `users` before the tables that refer to it), in one transaction, so
 * a failure leaves the database as it was.
 *
 * @example
 * ```ts
 * new SqliteMigrations().add(SQLITE_ACCOUNT_MIGRATIONS, SQLITE_IDENTITY_MIGRATIONS).migrate(db);
 * ```
 */
export class SqliteMigrations {
  readonly #components: SqliteMigrationComponent[] = [];

  /** Adds components after those already added; a component name may be added once only. */
  add(...components: SqliteMigrationComponent[]): this {
    for (const component of components) {
      if (this.#components.some((added) => added.component === component.component)) {
        throw new TypeError(`migration component ${component.component} is already added`);
      }
      this.#components.push(component);
    }
    return this;
  }

  /** The component names, in the order their statements run. */
  get components(): string[] {
    return this.#components.map(({ component }) => component);
  }

  /**
   * Runs every component's statements in one transaction (better-sqlite3 is synchronous). `BEGIN IMMEDIATE`
   * takes the write lock first, waiting on `busy_timeout`: a deferred transaction that read the schema and
   * then wrote could fail at once with SQLITE_BUSY when another process started at the same moment.
   */
  migrate(db: Database): void {
    db.transaction(() => {
      for (const { sql } of this.#components) db.exec(sql);
    }).immediate();
  }
}
