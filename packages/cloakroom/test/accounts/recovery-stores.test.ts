// The data account recovery adds, in every store that keeps accounts: `emailVerified` on users (and the
// upgrade of databases made before it), the user changes recovery makes, and one-time tokens (superseded
// per user and purpose, consumed once, purpose-bound, gone with their user).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type pg from 'pg';
import { EmailTakenError } from '../../src/accounts/errors.js';
import { MemoryOneTimeTokenStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import {
  migratePostgresAccounts,
  PostgresOneTimeTokenStore,
  PostgresUserStore,
} from '../../src/accounts/stores/postgres.js';
import { SqliteOneTimeTokenStore, SqliteUserStore } from '../../src/accounts/stores/sqlite.js';
import type {
  OneTimeTokenRecord,
  OneTimeTokenStore,
  RecoveryUserStore,
  UserLockStore,
} from '../../src/accounts/types.js';
import { runMigrations } from '../../src/lib/postgres/migrate.js';
import { POSTGRES_ACCOUNT_MIGRATIONS } from '../../src/accounts/stores/postgres.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';

const T0 = Date.UTC(2026, 0, 1);

interface Stores {
  users: RecoveryUserStore & UserLockStore;
  tokens: OneTimeTokenStore;
}

const token = (hash: string, overrides: Partial<OneTimeTokenRecord> = {}): OneTimeTokenRecord => ({
  hash,
  userId: 'u1',
  purpose: 'verify_email',
  email: 'ada@example.com',
  createdAt: T0,
  expiresAt: T0 + 1000,
  ...overrides,
});

function conformance(open: () => Promise<Stores & { close?: () => Promise<void> }>): void {
  let stores: Stores & { close?: () => Promise<void> };
  const setUp = async () => {
    stores = await open();
    await stores.users.create({ id: 'u1', email: 'ada@example.com', passwordHash: 'h', createdAt: T0 });
    await stores.users.create({ id: 'u2', email: 'bo@example.com', passwordHash: null, createdAt: T0 });
  };
  const tearDown = async () => stores.close?.();

  test('locks (cloakroom admin lock): users read unlocked; setLockedAt sets and clears; false for no user', async () => {
    await setUp();
    try {
      const { users } = stores;
      assert.equal((await users.findById('u1'))?.lockedAt, null);
      assert.equal(await users.setLockedAt('u1', T0 + 5), true);
      assert.equal((await users.findById('u1'))?.lockedAt, T0 + 5);
      assert.equal((await users.findByEmail('ada@example.com'))?.lockedAt, T0 + 5);
      assert.equal((await users.findById('u2'))?.lockedAt, null, 'only that user');
      assert.equal(await users.setLockedAt('u1', null), true);
      assert.equal((await users.findById('u1'))?.lockedAt, null);
      assert.equal(await users.setLockedAt('nobody', T0), false);
    } finally {
      await tearDown();
    }
  });

  test('users read unverified; marking verifies only while the address is the same', async () => {
    await setUp();
    try {
      const { users } = stores;
      assert.equal((await users.findById('u1'))?.emailVerified, false);
      assert.equal(await users.markEmailVerified('u1', 'old@example.com'), false);
      assert.equal((await users.findById('u1'))?.emailVerified, false);
      assert.equal(await users.markEmailVerified('u1', 'ada@example.com'), true);
      assert.equal((await users.findByEmail('ada@example.com'))?.emailVerified, true);
      await users.create({
        id: 'u3',
        email: 'cy@example.com',
        passwordHash: null,
        createdAt: T0,
        emailVerified: true,
      });
      assert.equal((await users.findById('u3'))?.emailVerified, true);
    } finally {
      await tearDown();
    }
  });

  test('changing the address: verified, refused when taken, false for a missing user', async () => {
    await setUp();
    try {
      const { users } = stores;
      await assert.rejects(users.changeEmail('u1', 'bo@example.com'), EmailTakenError);
      assert.equal(await users.changeEmail('nobody', 'new@example.com'), false);
      assert.equal(await users.changeEmail('u1', 'new@example.com'), true);
      assert.equal(await users.findByEmail('ada@example.com'), null);
      const moved = await users.findByEmail('new@example.com');
      assert.equal(moved?.id, 'u1');
      assert.equal(moved?.emailVerified, true);
    } finally {
      await tearDown();
    }
  });

  test('tokens: a new one supersedes the same user and purpose only; consume is once and purpose-bound', async () => {
    await setUp();
    try {
      const { tokens } = stores;
      await tokens.issue(token('h1'));
      await tokens.issue(token('r1', { purpose: 'reset_password' }));
      await tokens.issue(token('o1', { userId: 'u2', email: 'bo@example.com' }));
      await tokens.issue(token('h2'));
      assert.equal(await tokens.find('h1'), null, 'superseded');
      assert.deepStrictEqual(await tokens.find('h2'), token('h2'));
      assert.ok((await tokens.find('r1')) !== null, 'another purpose stays');
      assert.ok((await tokens.find('o1')) !== null, 'another user stays');
      assert.equal(await tokens.consume('h2', ['reset_password']), null, 'wrong purpose');
      assert.ok((await tokens.find('h2')) !== null, 'and not burnt');
      const used = await Promise.all([
        tokens.consume('h2', ['verify_email', 'change_email']),
        tokens.consume('h2', ['verify_email']),
      ]);
      assert.deepStrictEqual(
        used.filter((u) => u !== null),
        [token('h2')],
      );
      assert.equal(await tokens.find('h2'), null);
    } finally {
      await tearDown();
    }
  });

  test('tokens: deleted by user and purpose, by expiry, and with their user', async () => {
    await setUp();
    try {
      const { tokens, users } = stores;
      await tokens.issue(token('h1'));
      await tokens.issue(token('r1', { purpose: 'reset_password', expiresAt: T0 + 10 }));
      await tokens.issue(token('o1', { userId: 'u2', email: 'bo@example.com' }));
      await tokens.deleteByUser('u1', 'reset_password');
      assert.equal(await tokens.find('r1'), null);
      assert.ok((await tokens.find('h1')) !== null);
      await tokens.issue(token('r2', { purpose: 'reset_password', expiresAt: T0 + 10 }));
      assert.equal(await tokens.deleteExpired(T0 + 10), 1);
      assert.equal(await tokens.find('r2'), null);
      await tokens.deleteByUser('u1');
      assert.equal(await tokens.find('h1'), null);
      assert.equal(await users.deleteUser('u2'), true);
      assert.equal(await users.deleteUser('u2'), false);
      assert.equal(await users.findById('u2'), null);
      if (!(tokens instanceof MemoryOneTimeTokenStore)) {
        assert.equal(await tokens.find('o1'), null, 'gone with the user (ON DELETE CASCADE)');
      }
    } finally {
      await tearDown();
    }
  });
}

describe('memory recovery stores', () => {
  conformance(() => Promise.resolve({ users: new MemoryUserStore(), tokens: new MemoryOneTimeTokenStore() }));
});

describe('SQLite recovery stores', () => {
  conformance(() => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    return Promise.resolve({
      users: new SqliteUserStore(db),
      tokens: new SqliteOneTimeTokenStore(db),
      close: () => Promise.resolve(void db.close()),
    });
  });

  test('a database made before recovery gains email_verified (unverified), locked_at (unlocked) and the token table', () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL UNIQUE,
      password_hash TEXT, created_at INTEGER NOT NULL)`);
    db.prepare("INSERT INTO users VALUES ('old', 'old@example.com', 'h', 1)").run();
    const users = new SqliteUserStore(db);
    new SqliteOneTimeTokenStore(db);
    return users.findById('old').then((user) => {
      assert.equal(user?.emailVerified, false);
      assert.equal(user?.lockedAt, null);
      db.close();
    });
  });
});

let pool: pg.Pool;
before(() => {
  pool = testPool();
});
after(async () => {
  await pool.end();
});

describePostgres('PostgreSQL recovery stores', () => {
  conformance(async () => {
    const schema = await freshSchema(pool);
    await migratePostgresAccounts(pool, { schema: schema.name });
    return {
      users: new PostgresUserStore(pool, { schema: schema.name }),
      tokens: new PostgresOneTimeTokenStore(pool, { schema: schema.name }),
      close: schema.drop,
    };
  });

  test('a database at accounts v1 is upgraded to the current version, its users unverified and unlocked', async () => {
    const schema = await freshSchema(pool);
    try {
      const v1 = POSTGRES_ACCOUNT_MIGRATIONS.migrations(schema.name).filter((m) => m.version === 1);
      await runMigrations(pool, { schema: schema.name, component: 'accounts', migrations: v1 });
      await pool.query(
        `INSERT INTO "${schema.name}".users (id, email, password_hash, created_at) VALUES ('old', 'old@example.com', 'h', 1)`,
      );
      assert.deepStrictEqual(await migratePostgresAccounts(pool, { schema: schema.name }), [2, 3]);
      const users = new PostgresUserStore(pool, { schema: schema.name });
      assert.equal((await users.findById('old'))?.emailVerified, false);
      assert.equal((await users.findById('old'))?.lockedAt, null);
    } finally {
      await schema.drop();
    }
  });
});
