/**
 * The SQL every PostgreSQL-backed feature shares: identifier quoting (names come from options, are checked
 * against a strict pattern, then quoted; every value is a `$n` parameter) and the bookkeeping of the
 * recorded migrations.
 */

/** One step of a component's schema; applied once, in version order, and recorded. */
export interface Migration {
  version: number;
  description: string;
  /** One or more statements, run in the migration transaction. */
  sql: string;
}

// At most 63 bytes (PostgreSQL's NAMEDATALEN - 1), and plain ASCII, so a name is never silently truncated.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function quoteIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name))
    throw new TypeError(`${what} must be a plain SQL identifier (letters, digits, _)`);
  return `"${name}"`;
}

/** `"schema"."name"`, or `"name"` when there is no schema. */
export function qualify(schema: string | null, name: string, what: string): string {
  const quoted = quoteIdentifier(name, what);
  return schema === null ? quoted : `${quoteIdentifier(schema, 'schema')}.${quoted}`;
}

/** The bookkeeping of `runMigrations`. */
export function migrationStatements(schema: string | null) {
  const t = qualify(schema, 'cloakroom_migrations', 'table');
  return {
    // Transaction-scoped, keyed by schema: released by COMMIT or ROLLBACK, even if the process dies.
    lock: `SELECT pg_advisory_xact_lock(hashtextextended('cloakroom_migrations:' || coalesce($1::text, current_schema()), 0))`,
    createTable:
      `CREATE TABLE IF NOT EXISTS ${t} (component text NOT NULL, version integer NOT NULL, ` +
      `description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`,
    applied: `SELECT version FROM ${t} WHERE component = $1`,
    record: `INSERT INTO ${t} (component, version, description) VALUES ($1, $2, $3)`,
  };
}
