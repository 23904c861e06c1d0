// The passkey store contract, on memory, SQLite, PostgreSQL and Redis: insert once per credential id, list
// by user oldest first, record a use only when the counter moves forward, delete only the owner's, and
// delete them all with their account (AccountRecovery.deleteAccount), whether or not the store cascades.
// PostgreSQL and Redis tests skip with a message when the server is missing, except on CI.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { Mailer } from '../../src/accounts/mail/mailer.js';
import { MemoryMailTransport } from '../../src/accounts/mail/transport.js';
import { Passkeys } from '../../src/accounts/passkeys/passkeys.js';
import type { PasskeyRecord, PasskeyStore } from '../../src/accounts/passkeys/types.js';
import { AccountRecovery } from '../../src/accounts/recovery.js';
import { MemoryOneTimeTokenStore, MemoryUserStore } from '../../src/accounts/stores/memory.js';
import {
  MemoryPasskeyChallengeStore,
  MemoryPasskeyStore,
} from '../../src/accounts/stores/passkeys/memory.js';
import {
  migratePostgresAccounts,
  PostgresPasskeyStore,
  PostgresUserStore,
} from '../../src/accounts/stores/postgres.js';
import { RedisPasskeyStore } from '../../src/accounts/stores/redis.js';
import { SqlitePasskeyStore, SqliteUserStore } from '../../src/accounts/stores/sqlite.js';
import type { RecoveryUserStore } from '../../src/accounts/types.js';
import { redisClientOptions } from '../../src/lib/redis/client.js';
import { SoftwareAuthenticator, type CreationOptions } from '../helpers/software-authenticator.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';
import { cookieFrom, harness, ORIGIN } from './support.js';

const passkey = (userId: string, overrides: Partial<PasskeyRecord> = {}): PasskeyRecord => ({
  id: randomBytes(16).toString('base64url'),
  userId,
  publicKey: randomBytes(77).toString('base64url'),
  counter: 0,
  transports: ['internal', 'hybrid'],
  backupEligible: true,
  backedUp: false,
  name: 'Passkey 1',
  createdAt: 1_000,
  lastUsedAt: null,
  ...overrides,
});

function conformance(
  name: string,
  make: () => { store: PasskeyStore; users: RecoveryUserStore | null },
): void {
  describe(`passkey store: ${name}`, () => {
    async function user(users: RecoveryUserStore | null): Promise<string> {
      const id = randomUUID();
      await users?.create({ id, email: `${id}@example.com`, passwordHash: null, createdAt: 1 });
      return id;
    }

    test('creates once per credential id, finds it, lists by user oldest first', async () => {
      const { store, users } = make();
      const [a, b] = [await user(users), await user(users)];
      const first = passkey(a, { createdAt: 2_000, name: 'Laptop' });
      const second = passkey(a, { createdAt: 1_000, transports: [], backupEligible: false, lastUsedAt: 5 });
      assert.equal(await store.create(first), true);
      assert.equal(await store.create(second), true);
      assert.equal(await store.create({ ...first, userId: b }), false);
      assert.deepEqual(await store.findById(first.id), first);
      assert.equal(await store.findById('missing'), null);
      assert.deepEqual(await store.listByUser(a), [second, first]);
      assert.deepEqual(await store.listByUser(b), []);
    });

    test('records a use only when the counter moves forward (or stays 0 without a counter)', async () => {
      const { store, users } = make();
      const a = await user(users);
      const counted = passkey(a, { counter: 3 });
      const counterless = passkey(a);
      await store.create(counted);
      await store.create(counterless);
      assert.equal(await store.recordUse(counted.id, { counter: 3, backedUp: true, lastUsedAt: 9 }), false);
      assert.equal(await store.recordUse(counted.id, { counter: 2, backedUp: true, lastUsedAt: 9 }), false);
      assert.equal(await store.recordUse(counted.id, { counter: 0, backedUp: true, lastUsedAt: 9 }), false);
      assert.deepEqual(await store.findById(counted.id), counted);
      assert.equal(await store.recordUse(counted.id, { counter: 4, backedUp: true, lastUsedAt: 9 }), true);
      assert.deepEqual(await store.findById(counted.id), {
        ...counted,
        counter: 4,
        backedUp: true,
        lastUsedAt: 9,
      });
      assert.equal(
        await store.recordUse(counterless.id, { counter: 0, backedUp: false, lastUsedAt: 10 }),
        true,
      );
      assert.equal(
        await store.recordUse(counterless.id, { counter: 0, backedUp: false, lastUsedAt: 11 }),
        true,
      );
      assert.equal((await store.findById(counterless.id))?.lastUsedAt, 11);
      assert.equal(await store.recordUse('missing', { counter: 1, backedUp: false, lastUsedAt: 1 }), false);
    });

    test('deletes only the owner’s passkey', async () => {
      const { store, users } = make();
      const [a, b] = [await user(users), await user(users)];
      const record = passkey(a);
      await store.create(record);
      assert.equal(await store.delete(b, record.id), false);
      assert.deepEqual(await store.findById(record.id), record);
      assert.equal(await store.delete(a, record.id), true);
      assert.equal(await store.delete(a, record.id), false);
      assert.equal(await store.findById(record.id), null);
      assert.deepEqual(await store.listByUser(a), []);
    });

    test('deletes all of one user’s passkeys, and only theirs', async () => {
      const { store, users } = make();
      const [a, b] = [await user(users), await user(users)];
      const [first, second, theirs] = [passkey(a), passkey(a), passkey(b)];
      for (const record of [first, second, theirs]) await store.create(record);
      assert.equal(await store.deleteByUser(a), 2);
      assert.equal(await store.deleteByUser(a), 0);
      assert.equal(await store.findById(first.id), null);
      assert.equal(await store.findById(second.id), null);
      assert.deepEqual(await store.listByUser(a), []);
      assert.deepEqual(await store.listByUser(b), [theirs]);
    });

    test('deleting the account removes its passkeys: not listed, not found, not usable', async () => {
      const { store, users: userStore } = make();
      const users = userStore ?? new MemoryUserStore();
      const h = await harness({ users });
      const passkeys = new Passkeys({
        origin: ORIGIN,
        rpName: 'Test',
        store,
        challenges: new MemoryPasskeyChallengeStore(),
        clock: h.clock,
      });
      const recovery = new AccountRecovery({
        accounts: h.accounts,
        users,
        tokens: new MemoryOneTimeTokenStore(),
        attempts: h.attempts,
        sessions: h.sessions,
        mailer: new Mailer({ transport: new MemoryMailTransport(), from: 'site@example.com' }),
        origin: ORIGIN,
        hasher: h.hasher,
        clock: h.clock,
        passkeys,
      });
      const visitor = await h.request();
      const password = 'correct horse battery';
      const email = `${randomUUID()}@example.com`;
      const me = await h.accounts.register(visitor.session, { email, password });
      const authenticator = new SoftwareAuthenticator(ORIGIN);
      const creation = (await passkeys.registrationOptions(me)) as unknown as CreationOptions;
      await passkeys.register(me.id, authenticator.create(creation));
      const theirs = passkey(await user(userStore));
      await store.create(theirs);
      assert.equal((await passkeys.list(me.id)).length, 1);

      const signedIn = await h.request({ cookie: cookieFrom(visitor.setCookies.at(-1)!) });
      await recovery.deleteAccount(signedIn.session, { currentPassword: password });

      assert.deepEqual(await passkeys.list(me.id), []);
      assert.equal(await store.findById(authenticator.id), null);
      const { options, handle } = await passkeys.authenticationOptions('sign_in');
      await assert.rejects(
        passkeys.authenticate(handle, authenticator.get(options), { purpose: 'sign_in' }),
        { code: 'invalid_passkey' },
      );
      assert.deepEqual(await store.findById(theirs.id), theirs);
    });

    if (name !== 'memory' && name !== 'Redis') {
      test('a deleted user takes its passkeys along', async () => {
        const { store, users } = make();
        const a = await user(users);
        const record = passkey(a);
        await store.create(record);
        await users?.deleteUser(a);
        assert.equal(await store.findById(record.id), null);
      });
    }
  });
}

conformance('memory', () => ({ store: new MemoryPasskeyStore(), users: null }));

const db = new Database(':memory:');
db.pragma('foreign_keys = ON');
const sqliteUsers = new SqliteUserStore(db);
const sqlitePasskeys = new SqlitePasskeyStore(db);
conformance('SQLite', () => ({ store: sqlitePasskeys, users: sqliteUsers }));

describePostgres('passkey store: PostgreSQL', () => {
  let pool: pg.Pool;
  let schema: { name: string; drop: () => Promise<void> };
  let store: PostgresPasskeyStore;
  let users: PostgresUserStore;
  before(async () => {
    pool = testPool();
    schema = await freshSchema(pool);
    await migratePostgresAccounts(pool, { schema: schema.name });
    store = await PostgresPasskeyStore.create(pool, { schema: schema.name });
    users = new PostgresUserStore(pool, { schema: schema.name });
  });
  after(async () => {
    await schema.drop();
    await pool.end();
  });
  conformance('PostgreSQL', () => ({ store, users }));
});

const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const client = new Redis({
  host: url.hostname,
  port: Number(url.port || 6379),
  ...redisClientOptions(),
  lazyConnect: true,
});
const reachable = await client.connect().then(
  () => null,
  (error: unknown) => (error instanceof Error ? error.message : String(error)),
);
if (reachable !== null && process.env.CI === 'true')
  throw new Error(`Redis at ${url.host} is not reachable on CI`);
if (reachable !== null)
  console.warn(`# SKIPPED passkey store: Redis: no Redis at ${url.host} (${reachable})`);
const prefix = `cr-test-passkeys-${randomBytes(6).toString('base64url')}:`;
describe('passkey store: Redis', { skip: reachable !== null }, () => {
  after(async () => {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  });
  conformance('Redis', () => ({ store: new RedisPasskeyStore(client, { prefix }), users: null }));
});
if (reachable !== null) client.disconnect();
