// The PostgreSQL issuer stores against the issuer-store conformance suite, each run in a fresh schema, with
// a second pool standing in for a second process. Without a server: skipped with a message (a failure on CI).
import assert from 'node:assert/strict';
import pg from 'pg';
import {
  migratePostgresTokens,
  PostgresClientStore,
  PostgresRefreshTokenStore,
} from '../../../src/tokens/issuer/stores/postgres.js';
import { DATABASE_URL, describePostgres, freshSchema, testPool } from '../../stores/postgres-support.js';
import { runIssuerStoreConformance } from './conformance.js';

describePostgres('PostgreSQL', () => {
  runIssuerStoreConformance('PostgreSQL stores', async () => {
    const admin = testPool();
    const schema = await freshSchema(admin);
    const options = { connectionString: DATABASE_URL, options: `-c search_path=${schema.name}` };
    const pool = new pg.Pool(options);
    const second = new pg.Pool(options);
    assert.deepEqual(await migratePostgresTokens(pool), [1]);
    assert.deepEqual(await migratePostgresTokens(pool), [], 'migrations run once');
    return {
      refresh: new PostgresRefreshTokenStore(pool),
      clients: new PostgresClientStore(pool),
      peer: new PostgresRefreshTokenStore(second),
      close: async () => {
        await second.end();
        await pool.end();
        await schema.drop();
        await admin.end();
      },
    };
  });
});
