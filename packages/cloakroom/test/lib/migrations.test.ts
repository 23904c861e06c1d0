// One migration registry per database: components run in the order added, once, in one transaction; the
// features' components keep their names (existing databases' records in `cloakroom_migrations` still match).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { POSTGRES_ACCOUNT_MIGRATIONS } from '../../src/accounts/stores/postgres.js';
import { POSTGRES_IDENTITY_MIGRATIONS } from '../../src/accounts/stores/identities/postgres.js';
import { SQLITE_ACCOUNT_MIGRATIONS } from '../../src/accounts/stores/sqlite.js';
import { SQLITE_IDENTITY_MIGRATIONS } from '../../src/accounts/stores/identities/sqlite.js';
import {
  POSTGRES_FEDERATION_STATE_MIGRATIONS,
  SQLITE_FEDERATION_STATE_MIGRATIONS,
} from '../../src/federation/index.js';
import { PostgresMigrations, type PostgresMigrationComponent } from '../../src/lib/postgres/registry.js';
import { SqliteMigrations } from '../../src/lib/sqlite/registry.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';

test('the features keep their component names', () => {
  assert.deepEqual(
    new PostgresMigrations().add(
      POSTGRES_ACCOUNT_MIGRATIONS,
      POSTGRES_IDENTITY_MIGRATIONS,
      POSTGRES_FEDERATION_STATE_MIGRATIONS,
    ).components,
    ['accounts', 'identities', 'federation-state'],
  );
  assert.deepEqual(
    new SqliteMigrations().add(
      SQLITE_ACCOUNT_MIGRATIONS,
      SQLITE_IDENTITY_MIGRATIONS,
      SQLITE_FEDERATION_STATE_MIGRATIONS,
    ).components,
    ['accounts', 'identities', 'federation-state'],
  );
});

test('a component is added once', () => {
  assert.throws(
    () => new PostgresMigrations().add(POSTGRES_ACCOUNT_MIGRATIONS, POSTGRES_ACCOUNT_MIGRATIONS),
    TypeError,
  );
  assert.throws(
    () => new SqliteMigrations().add(SQLITE_ACCOUNT_MIGRATIONS).add(SQLITE_ACCOUNT_MIGRATIONS),
    TypeError,
  );
});

test('SQLite: every component runs, in order, and again without harm', () => {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = ON');
  const migrations = new SqliteMigrations().add(
    SQLITE_ACCOUNT_MIGRATIONS,
    SQLITE_IDENTITY_MIGRATIONS,
    SQLITE_FEDERATION_STATE_MIGRATIONS,
  );
  migrations.migrate(db);
  migrations.migrate(db);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    .pluck()
    .all();
  assert.deepEqual(tables, [
    'cloakroom_attempts',
    'cloakroom_federation_sets',
    'cloakroom_federation_state',
    'cloakroom_identities',
    'cloakroom_one_time_tokens',
    'users',
  ]);
  db.close();
});

test('SQLite: a failing component leaves the database as it was', () => {
  const db = new Database(':memory:');
  const migrations = new SqliteMigrations().add(SQLITE_ACCOUNT_MIGRATIONS, {
    component: 'broken',
    sql: 'CREATE TABLE nonsense (',
  });
  assert.throws(() => {
    migrations.migrate(db);
  });
  assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), []);
  db.close();
});

test('SQLite: a column added after a table shipped is added once, to old and new databases alike', () => {
  const v1 = { component: 'things', sql: 'CREATE TABLE IF NOT EXISTS things (id TEXT PRIMARY KEY)' };
  const v2 = {
    ...v1,
    columns: [{ table: 'things', name: 'colour', definition: "TEXT NOT NULL DEFAULT 'red'" }],
  };
  const old = new Database(':memory:');
  new SqliteMigrations().add(v1).migrate(old);
  old.prepare("INSERT INTO things (id) VALUES ('a')").run();
  new SqliteMigrations().add(v2).migrate(old);
  new SqliteMigrations().add(v2).migrate(old);
  assert.deepEqual(old.prepare('SELECT id, colour FROM things').all(), [{ id: 'a', colour: 'red' }]);
  const fresh = new Database(':memory:');
  new SqliteMigrations().add(v2).migrate(fresh);
  assert.deepEqual(
    fresh
      .prepare('PRAGMA table_info(things)')
      .all()
      .map((column) => (column as { name: string }).name),
    ['id', 'colour'],
  );
  old.close();
  fresh.close();
});

test('SQLite: a column for a missing table or with a bad name is refused, and nothing is changed', () => {
  const db = new Database(':memory:');
  const missing = {
    component: 'm',
    sql: 'CREATE TABLE IF NOT EXISTS a (id TEXT)',
    columns: [{ table: 'b', name: 'x', definition: 'TEXT' }],
  };
  assert.throws(() => new SqliteMigrations().add(missing).migrate(db), /does not exist/);
  const bad = {
    component: 'n',
    sql: 'CREATE TABLE IF NOT EXISTS a (id TEXT)',
    columns: [{ table: 'a', name: 'x; DROP TABLE a', definition: 'TEXT' }],
  };
  assert.throws(() => new SqliteMigrations().add(bad).migrate(db), /invalid column/);
  assert.deepEqual(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all(), []);
  db.close();
});

describePostgres('PostgreSQL migration registry', () => {
  let pool: pg.Pool;
  before(() => {
    pool = testPool();
  });
  after(async () => {
    await pool.end();
  });

  test('applies each component in order, once, and records it under its own name', async () => {
    const schema = await freshSchema(pool);
    try {
      const migrations = new PostgresMigrations({ schema: schema.name }).add(
        POSTGRES_ACCOUNT_MIGRATIONS,
        POSTGRES_IDENTITY_MIGRATIONS,
        POSTGRES_FEDERATION_STATE_MIGRATIONS,
      );
      assert.deepEqual(
        [...(await migrations.migrate(pool))],
        [
          ['accounts', [1, 2, 3]],
          ['identities', [1]],
          ['federation-state', [1, 2]],
        ],
      );
      assert.deepEqual(
        [...(await migrations.migrate(pool))],
        [
          ['accounts', []],
          ['identities', []],
          ['federation-state', []],
        ],
        'migrations run once',
      );
      const recorded = await pool.query<{ component: string; version: number }>(
        `SELECT component, version FROM "${schema.name}".cloakroom_migrations ORDER BY applied_at, component`,
      );
      assert.deepEqual(recorded.rows.map((row) => `${row.component}:${row.version}`).sort(), [
        'accounts:1',
        'accounts:2',
        'accounts:3',
        'federation-state:1',
        'federation-state:2',
        'identities:1',
      ]);
    } finally {
      await schema.drop();
    }
  });

  test('a failing component rolls back every component of the call', async () => {
    const schema = await freshSchema(pool);
    const broken: PostgresMigrationComponent = {
      component: 'broken',
      migrations: () => [{ version: 1, description: 'broken', sql: 'CREATE TABLE nonsense (' }],
    };
    try {
      const migrations = new PostgresMigrations({ schema: schema.name }).add(
        POSTGRES_ACCOUNT_MIGRATIONS,
        broken,
      );
      await assert.rejects(migrations.migrate(pool));
      const tables = await pool.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema.name]);
      assert.deepEqual(tables.rows, []);
    } finally {
      await schema.drop();
    }
  });
});
