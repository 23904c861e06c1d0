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

/**
 * Applies the migrations of one component that are not yet recorded in `cloakroom_migrations`, in version
 * order, in one transaction under a transaction-level advisory lock: processes starting at once queue on
 * the lock, and the later ones find the work done. A failure rolls everything back. Resolves to the versions
 * this call applied.
 */
export async function runMigrations(pool: Pool, options: MigrateOptions): Promise<number[]> {
  checkMigrations(options.migrations);
  const sql = migrationStatements(options.schema ?? null);
  const client = await pool.connect();
  // A checked-out client has no pool listener: an error event between statements must not crash.
  const ignore = () => {};
  client.on('error', ignore);
  let failure: Error | undefined;
  try {
    return await migrateIn(client, sql, options);
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
  options: MigrateOptions,
): Promise<number[]> {
  await client.query('BEGIN');
  try {
    await client.query(sql.lock, [options.schema ?? null]);
    await client.query(sql.createTable);
    const done = await client.query<{ version: number }>(sql.applied, [options.component]);
    const applied = new Set(done.rows.map((row) => row.version));
    const ran: number[] = [];
    for (const migration of [...options.migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      // No parameters: the simple protocol, so one migration may hold several statements.
      await client.query(migration.sql);
      await client.query(sql.record, [options.component, migration.version, migration.description]);
      ran.push(migration.version);
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
