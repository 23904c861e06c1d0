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
  /**
   * Columns added to tables after they first shipped: SQLite has no `ADD COLUMN IF NOT EXISTS`, so each is
   * added (after `sql` runs) only when `PRAGMA table_info` does not list it yet. The definition must be valid
   * for `ALTER TABLE ... ADD COLUMN`: a constant default, no `PRIMARY KEY` or `UNIQUE`.
   */
  readonly columns?: readonly SqliteColumn[];
}

/** One column of {@link SqliteMigrationComponent.columns}. */
export interface SqliteColumn {
  readonly table: string;
  readonly name: string;
  /** Type and constraints, e.g. `INTEGER NOT NULL DEFAULT 0`. */
  readonly definition: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Runs a component's statements, then adds each of its columns that its table lacks. Idempotent, like the
 * statements themselves; stores that migrate their own tables call it directly.
 */
export function applySqliteComponent(db: Database, component: SqliteMigrationComponent): void {
  db.exec(component.sql);
  for (const { table, name, definition } of component.columns ?? []) {
    if (!IDENTIFIER.test(table) || !IDENTIFIER.test(name)) {
      throw new TypeError(`invalid column ${table}.${name} in migration component ${component.component}`);
    }
    const present = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (present.length === 0) {
      throw new TypeError(
        `migration component ${component.component} adds a column to ${table}, which does not exist`,
      );
    }
    if (!present.some((column) => column.name === name)) {
      db.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${definition}`);
    }
  }
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
      for (const component of this.#components) applySqliteComponent(db, component);
    }).immediate();
  }
}
