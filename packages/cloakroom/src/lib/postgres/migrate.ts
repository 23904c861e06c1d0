import type { Pool, PoolClient } from 'pg';
import { migrationStatements, type Migration } from './sql.js';

export type { Migration } from './sql.js';

export interface MigrateOptions {
  /** The schema holding `cloakroom_migrations` and the tables; default: the connection's `current_schema()`. */
  schema?: string | null;
  /** Which set of migrations this is (e.g. `sessions:cloakroom_sessions`); versions count per component. */
  component: string;
  migrations: readonly Migration[];
}

/** One component's migrations, as they are applied: built for the schema they run in. */
export interface ComponentMigrations {
  component: string;
  migrations: readonly Migration[];
}

/**
 * Applies the migrations of one component that are not yet recorded in `cloakroom_migrations`, in version
 * order, in one transaction under a transaction-level advisory lock: processes starting at once queue on
 * the lock, and the later ones find the work done. A failure rolls everything back. Resolves to the versions
 * this call applied.
 */
export async function runMigrations(pool: Pool, options: MigrateOptions): Promise<number[]> {
  const [ran] = await applyMigrations(pool, options.schema ?? null, [options]);
  return ran ?? [];
}

/**
 * Applies several components' pending migrations, component after component in the order given, all in
 * one transaction under the one advisory lock of `schema` (see {@link runMigrations}). Resolves to the
 * versions applied per component, in the same order.
 */
export async function applyMigrations(
  pool: Pool,
  schema: string | null,
  components: readonly ComponentMigrations[],
): Promise<number[][]> {
  for (const { migrations } of components) checkMigrations(migrations);
  const sql = migrationStatements(schema);
  const client = await pool.connect();
  // A checked-out client has no pool listener: an error event between statements must not crash.
  const ignore = () => {};
  client.on('error', ignore);
  let failure: Error | undefined;
  try {
    return await migrateIn(client, sql, schema, components);
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    throw failure;
  } finally {
    client.removeListener('error', ignore);
    // A connection that failed mid-migration may be in any state: destroy it rather than reuse it.
    client.release(failure);
  }
}

async function migrateIn(
  client: PoolClient,
  sql: ReturnType<typeof migrationStatements>,
  schema: string | null,
  components: readonly ComponentMigrations[],
): Promise<number[][]> {
  await client.query('BEGIN');
  try {
    await client.query(sql.lock, [schema]);
    await client.query(sql.createTable);
    const ran: number[][] = [];
    for (const { component, migrations } of components) {
      const done = await client.query<{ version: number }>(sql.applied, [component]);
      const applied = new Set(done.rows.map((row) => row.version));
      const versions: number[] = [];
      for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
        if (applied.has(migration.version)) continue;
        // No parameters: the simple protocol, so one migration may hold several statements.
        await client.query(migration.sql);
        await client.query(sql.record, [component, migration.version, migration.description]);
        versions.push(migration.version);
      }
      ran.push(versions);
    }
    await client.query('COMMIT');
    return ran;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

function checkMigrations(migrations: readonly Migration[]): void {
  const seen = new Set<number>();
  for (const { version } of migrations) {
    if (!Number.isInteger(version) || version < 1 || seen.has(version)) {
      throw new TypeError('migration versions must be distinct positive integers');
    }
    seen.add(version);
  }
}
