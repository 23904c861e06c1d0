import { openDatabase } from '../database.js';
import { importBackend } from '../optional.js';
import { guardPool, postgresPoolOptions } from 'cloakroom/stores/postgres';
import type { ClientStore, RefreshTokenStore } from 'cloakroom/tokens/issuer';
import {
  migratePostgresTokens,
  PostgresClientStore,
  PostgresRefreshTokenStore,
} from 'cloakroom/tokens/issuer/postgres';
import { SqliteClientStore, SqliteRefreshTokenStore } from 'cloakroom/tokens/issuer/sqlite';

/** The issuer's stores on the site's database, for a process other than the server (the CLI). */
export interface OpenedTokenStores {
  refresh: RefreshTokenStore;
  clients: ClientStore;
  close(): Promise<void>;
}

/**
 * Opens the issuer's stores where the server keeps them: PostgreSQL when `databaseUrl` is set (migrated
 * first), else the SQLite database under `dataDir`. Safe while the server runs (SQLite in WAL mode with a
 * busy timeout; PostgreSQL transactions).
 */
export async function openTokenStores(config: {
  dataDir: string;
  databaseUrl: string | undefined;
}): Promise<OpenedTokenStores> {
  if (config.databaseUrl !== undefined) {
    const { default: pg } = await importBackend<{ default: typeof import('pg') }>(
      'pg',
      'CLOAKROOM_DATABASE_URL (PostgreSQL)',
    );
    const pool = new pg.Pool(postgresPoolOptions({ connectionString: config.databaseUrl, max: 2 }));
    guardPool(pool, () => {});
    try {
      await migratePostgresTokens(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return {
      refresh: new PostgresRefreshTokenStore(pool),
      clients: new PostgresClientStore(pool),
      close: () => pool.end(),
    };
  }
  const db = openDatabase(config.dataDir);
  return {
    refresh: new SqliteRefreshTokenStore(db),
    clients: new SqliteClientStore(db),
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
