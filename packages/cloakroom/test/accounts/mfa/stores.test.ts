// The two-factor stores, one conformance suite over memory, SQLite, PostgreSQL and Redis: pending secrets,
// enabling by compare-and-set, a time step accepted once (concurrent callers included), recovery codes
// replaced and used once, pending sign-ins consumed once. Redis and PostgreSQL: skipped with a message when
// unreachable, a failure on CI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { MemoryMfaStore, MemoryPendingSignInStore } from '../../../src/accounts/mfa/stores/memory.js';
import {
  migratePostgresMfa,
  PostgresMfaStore,
  PostgresPendingSignInStore,
} from '../../../src/accounts/mfa/stores/postgres.js';
import { RedisMfaStore, RedisPendingSignInStore } from '../../../src/accounts/mfa/stores/redis.js';
import { SqliteMfaStore, SqlitePendingSignInStore } from '../../../src/accounts/mfa/stores/sqlite.js';
import type { MfaStore, PendingSignInStore } from '../../../src/accounts/mfa/types.js';
import { migratePostgresAccounts, PostgresUserStore } from '../../../src/accounts/stores/postgres.js';
import { SqliteUserStore } from '../../../src/accounts/stores/sqlite.js';
import { redisClientOptions } from '../../../src/lib/redis/client.js';
import { describePostgres, freshSchema, testPool } from '../../stores/postgres-support.js';

const T0 = Date.UTC(2026, 0, 1);

interface Stores {
  mfa: MfaStore;
  pending: PendingSignInStore;
  close?: () => Promise<void>;
}

function conformance(open: () => Promise<Stores>): void {
  const withStores = (body: (stores: Stores) => Promise<void>) => async () => {
    const stores = await open();
    try {
      await body(stores);
    } finally {
      await stores.close?.();
    }
  };

  test(
    'a pending secret leaves two-factor off; enabling needs the same pending secret',
    withStores(async ({ mfa }) => {
      assert.equal(await mfa.findTotp('u1'), null);
      await mfa.setPendingTotp('u1', 'sealed-a');
      assert.deepStrictEqual(await mfa.findTotp('u1'), {
        userId: 'u1',
        secret: null,
        pendingSecret: 'sealed-a',
        lastStep: null,
        enabledAt: null,
      });
      assert.equal(await mfa.acceptTotpStep('u1', 5), false, 'not enabled yet');
      assert.equal(await mfa.enableTotp('u1', 'sealed-other', 5, T0), false);
      assert.equal(await mfa.enableTotp('u1', 'sealed-a', 5, T0), true);
      assert.equal(await mfa.enableTotp('u1', 'sealed-a', 5, T0), false, 'the pending secret is used up');
      assert.deepStrictEqual(await mfa.findTotp('u1'), {
        userId: 'u1',
        secret: 'sealed-a',
        pendingSecret: null,
        lastStep: 5,
        enabledAt: T0,
      });
      // A new setup keeps the enabled secret until it is confirmed.
      await mfa.setPendingTotp('u1', 'sealed-b');
      const record = await mfa.findTotp('u1');
      assert.equal(record?.secret, 'sealed-a');
      assert.equal(record?.pendingSecret, 'sealed-b');
    }),
  );

  test(
    'a time step is accepted once, and only after the last one, even concurrently',
    withStores(async ({ mfa }) => {
      await mfa.setPendingTotp('u1', 's');
      await mfa.enableTotp('u1', 's', 10, T0);
      assert.equal(await mfa.acceptTotpStep('u1', 10), false, 'the enabling step');
      assert.equal(await mfa.acceptTotpStep('u1', 9), false, 'an earlier step');
      const results = await Promise.all([mfa.acceptTotpStep('u1', 11), mfa.acceptTotpStep('u1', 11)]);
      assert.deepStrictEqual(results.sort(), [false, true]);
      assert.equal((await mfa.findTotp('u1'))?.lastStep, 11);
      assert.equal(await mfa.acceptTotpStep('u1', 13), true);
      assert.equal(await mfa.acceptTotpStep('u2', 13), false, 'no record');
    }),
  );

  test(
    'recovery codes: replaced as a set, each used once',
    withStores(async ({ mfa }) => {
      await mfa.setPendingTotp('u1', 's');
      await mfa.replaceRecoveryCodes('u1', ['h1', 'h2', 'h3'], T0);
      assert.deepStrictEqual((await mfa.listRecoveryCodes('u1')).sort(), ['h1', 'h2', 'h3']);
      await mfa.replaceRecoveryCodes('u1', ['h4', 'h5'], T0);
      assert.deepStrictEqual((await mfa.listRecoveryCodes('u1')).sort(), ['h4', 'h5']);
      assert.equal(await mfa.useRecoveryCode('u1', 'h1'), false, 'replaced');
      const results = await Promise.all([mfa.useRecoveryCode('u1', 'h4'), mfa.useRecoveryCode('u1', 'h4')]);
      assert.deepStrictEqual(results.sort(), [false, true]);
      assert.equal(await mfa.useRecoveryCode('u2', 'h5'), false, "another user's code");
      assert.deepStrictEqual(await mfa.listRecoveryCodes('u1'), ['h5']);
      assert.deepStrictEqual(await mfa.listRecoveryCodes('u2'), []);
    }),
  );

  test(
    'turning two-factor off deletes the secret and the codes',
    withStores(async ({ mfa }) => {
      await mfa.setPendingTotp('u1', 's');
      await mfa.enableTotp('u1', 's', 1, T0);
      await mfa.replaceRecoveryCodes('u1', ['h1'], T0);
      assert.equal(await mfa.deleteTotp('u1'), true);
      assert.equal(await mfa.findTotp('u1'), null);
      assert.deepStrictEqual(await mfa.listRecoveryCodes('u1'), []);
      assert.equal(await mfa.deleteTotp('u1'), false);
    }),
  );

  test(
    'a pending sign-in is found, then consumed once',
    withStores(async ({ pending }) => {
      const record = { hash: 'p1', userId: 'u1', amr: ['pwd'], createdAt: T0, expiresAt: T0 + 300_000 };
      await pending.create(record);
      assert.deepStrictEqual(await pending.find('p1'), record);
      assert.equal(await pending.find('p2'), null);
      const results = await Promise.all([pending.consume('p1'), pending.consume('p1')]);
      assert.deepStrictEqual(results.map((r) => r?.userId ?? null).sort(), [null, 'u1'].sort());
      assert.equal(await pending.find('p1'), null);
    }),
  );
}

describe('memory two-factor stores', () => {
  conformance(() => Promise.resolve({ mfa: new MemoryMfaStore(), pending: new MemoryPendingSignInStore() }));
});

const sqliteUsers = (db: Database.Database) => {
  const users = new SqliteUserStore(db);
  return Promise.all(
    ['u1', 'u2'].map((id) =>
      users.create({ id, email: `${id}@example.com`, passwordHash: null, createdAt: T0 }),
    ),
  );
};

describe('SQLite two-factor stores', () => {
  conformance(async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    await sqliteUsers(db);
    return {
      mfa: new SqliteMfaStore(db),
      pending: new SqlitePendingSignInStore(db),
      close: () => Promise.resolve(void db.close()),
    };
  });

  test("a user's second factors and pending sign-ins go with the user", async () => {
    const db = new Database(':memory:');
    db.pragma('foreign_keys = ON');
    await sqliteUsers(db);
    const mfa = new SqliteMfaStore(db);
    const pending = new SqlitePendingSignInStore(db);
    await mfa.setPendingTotp('u1', 's');
    await mfa.replaceRecoveryCodes('u1', ['h1'], T0);
    await pending.create({ hash: 'p', userId: 'u1', amr: ['pwd'], createdAt: T0, expiresAt: T0 + 1 });
    db.prepare("DELETE FROM users WHERE id = 'u1'").run();
    assert.equal(await mfa.findTotp('u1'), null);
    assert.deepStrictEqual(await mfa.listRecoveryCodes('u1'), []);
    assert.equal(await pending.find('p'), null);
    db.close();
  });
});

let pool: pg.Pool;
before(() => {
  pool = testPool();
});
after(async () => {
  await pool.end();
});

describePostgres('PostgreSQL two-factor stores', () => {
  conformance(async () => {
    const schema = await freshSchema(pool);
    await migratePostgresAccounts(pool, { schema: schema.name });
    await migratePostgresMfa(pool, { schema: schema.name });
    const users = new PostgresUserStore(pool, { schema: schema.name });
    for (const id of ['u1', 'u2']) {
      await users.create({ id, email: `${id}@example.com`, passwordHash: null, createdAt: T0 });
    }
    return {
      mfa: new PostgresMfaStore(pool, { schema: schema.name }),
      pending: new PostgresPendingSignInStore(pool, { schema: schema.name }),
      close: schema.drop,
    };
  });
});

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const redis = new Redis({
  host: redisUrl.hostname,
  port: Number(redisUrl.port || 6379),
  ...redisClientOptions(),
  lazyConnect: true,
});
const redisDown = await redis.connect().then(
  () => null,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);
if (redisDown !== null && process.env.CI === 'true')
  throw new Error(`Redis is not reachable on CI: ${redisDown}`);
if (redisDown !== null)
  console.warn(`# SKIPPED Redis two-factor stores: no Redis at ${redisUrl.host} (${redisDown})`);

describe('Redis two-factor stores', { skip: redisDown ?? false }, () => {
  conformance(() => {
    const prefix = `cr-test-mfa-${randomBytes(6).toString('base64url')}:`;
    return Promise.resolve({
      mfa: new RedisMfaStore(redis, { prefix }),
      pending: new RedisPendingSignInStore(redis, { prefix }),
      close: async () => {
        const keys = await redis.keys(`${prefix}*`); // this test's own keys only
        if (keys.length > 0) await redis.del(...keys);
      },
    });
  });
});

after(() => {
  redis.disconnect();
});
