// The PostgreSQL issuer stores against the issuer-store conformance suite, each run in a fresh schema, with
// a second pool standing in for a second process. Without a server: skipped with a message (a failure on CI).
import assert from 'node:assert/strict';
import { test } from 'node:test';
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
    assert.deepEqual(await migratePostgresTokens(pool), [1, 2]);
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

describePostgres('PostgreSQL issuer upgrade', () => {
  test('a client registered before version 2 keeps working, serving no audience (no token exchange)', async () => {
    const admin = testPool();
    const schema = await freshSchema(admin);
    const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${schema.name}` });
    try {
      // Version 1 exactly as it shipped, then a client row written by that code.
      await pool.query(`CREATE TABLE cloakroom_migrations (component text NOT NULL, version integer NOT NULL,
        description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (component, version))`);
      await pool.query(`CREATE TABLE cloakroom_clients (id text PRIMARY KEY, secret_hash text NOT NULL,
        scopes text NOT NULL, audiences text NOT NULL, created_at bigint NOT NULL)`);
      await pool.query(`CREATE TABLE cloakroom_refresh_families (id text PRIMARY KEY)`);
      await pool.query(
        `INSERT INTO cloakroom_migrations (component, version, description) VALUES ('app-tokens', 1, 'v1')`,
      );
      await pool.query(
        `INSERT INTO cloakroom_clients VALUES ('old', 'sha256:x', 'a:read', 'https://api.example', 1)`,
      );
      assert.deepEqual(await migratePostgresTokens(pool), [2]);
      assert.deepEqual(await new PostgresClientStore(pool).find('old'), {
        id: 'old',
        secretHash: 'sha256:x',
        scopes: ['a:read'],
        audiences: ['https://api.example'],
        resources: [],
        createdAt: 1,
      });
    } finally {
      await pool.end();
      await schema.drop();
      await admin.end();
    }
  });
});
