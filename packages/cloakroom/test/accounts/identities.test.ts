// Identity links (issuer, subject) -> local user, on memory, SQLite and PostgreSQL; and password-less users:
// they exist, and password sign-in refuses them with the same answer as a wrong password.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type pg from 'pg';
import type { IdentityLink, IdentityStore } from '../../src/accounts/identities.js';
import { MemoryIdentityStore } from '../../src/accounts/stores/identities/memory.js';
import {
  migratePostgresAccounts,
  PostgresIdentityStore,
  PostgresUserStore,
} from '../../src/accounts/stores/postgres.js';
import { SqliteIdentityStore, SqliteUserStore } from '../../src/accounts/stores/sqlite.js';
import type { UserStore } from '../../src/accounts/types.js';
import { InvalidCredentialsError } from '../../src/accounts/errors.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';
import { harness } from './support.js';

const ISSUER = 'https://idp.example.com';

function conformance(name: string, make: () => { identities: IdentityStore; users: UserStore | null }): void {
  describe(`identity store: ${name}`, () => {
    async function user(users: UserStore | null): Promise<string> {
      const id = randomUUID();
      await users?.create({ id, email: `${id}@example.com`, passwordHash: null, createdAt: 1 });
      return id;
    }
    const link = (userId: string, subject: string, createdAt = 1): IdentityLink => ({
      userId,
      provider: 'idp',
      issuer: ISSUER,
      subject,
      createdAt,
    });

    test('links, finds by (issuer, subject), lists by user', async () => {
      const { identities, users } = make();
      const id = await user(users);
      const subject = randomUUID();
      assert.equal(await identities.link(link(id, subject)), true);
      assert.deepEqual(await identities.findByIdentity(ISSUER, subject), link(id, subject));
      assert.equal(await identities.findByIdentity('https://other.example', subject), null);
      assert.deepEqual(await identities.listByUser(id), [link(id, subject)]);
    });

    test('an (issuer, subject) already linked is not linked again, to anyone', async () => {
      const { identities, users } = make();
      const [a, b] = [await user(users), await user(users)];
      const subject = randomUUID();
      assert.equal(await identities.link(link(a, subject)), true);
      assert.equal(await identities.link(link(b, subject)), false);
      assert.equal((await identities.findByIdentity(ISSUER, subject))?.userId, a);
    });

    test('unlink: removes, says not_found for another user’s link, keeps the last one when asked', async () => {
      const { identities, users } = make();
      const [a, b] = [await user(users), await user(users)];
      const [s1, s2] = [randomUUID(), randomUUID()];
      await identities.link(link(a, s1, 1));
      await identities.link(link(a, s2, 2));
      assert.equal(await identities.unlink(b, ISSUER, s1, { keepOne: false }), 'not_found');
      assert.equal(await identities.unlink(a, ISSUER, s1, { keepOne: true }), 'unlinked');
      assert.equal(await identities.unlink(a, ISSUER, s2, { keepOne: true }), 'last_sign_in_method');
      assert.equal(await identities.unlink(a, ISSUER, s2, { keepOne: false }), 'unlinked');
      assert.deepEqual(await identities.listByUser(a), []);
      assert.equal(await identities.unlink(a, ISSUER, s2, { keepOne: false }), 'not_found');
    });
  });
}

conformance('memory', () => ({ identities: new MemoryIdentityStore(), users: null }));

const db = new Database(':memory:');
db.pragma('foreign_keys = ON');
const sqliteUsers = new SqliteUserStore(db);
const sqliteIdentities = new SqliteIdentityStore(db);
conformance('SQLite', () => ({ identities: sqliteIdentities, users: sqliteUsers }));

describePostgres('identity store: PostgreSQL', () => {
  let pool: pg.Pool;
  let schema: { name: string; drop: () => Promise<void> };
  let identities: PostgresIdentityStore;
  let users: PostgresUserStore;
  before(async () => {
    pool = testPool();
    schema = await freshSchema(pool);
    await migratePostgresAccounts(pool, { schema: schema.name });
    identities = await PostgresIdentityStore.create(pool, { schema: schema.name });
    users = new PostgresUserStore(pool, { schema: schema.name });
  });
  after(async () => {
    await schema.drop();
    await pool.end();
  });
  conformance('PostgreSQL', () => ({ identities, users }));

  test('two concurrent unlinks of a password-less account’s last two links: exactly one succeeds', async () => {
    for (let round = 0; round < 10; round++) {
      const userId = randomUUID();
      await users.create({ id: userId, email: `${userId}@example.com`, passwordHash: null, createdAt: 1 });
      const [s1, s2] = [randomUUID(), randomUUID()];
      for (const subject of [s1, s2]) {
        await identities.link({ userId, provider: 'idp', issuer: ISSUER, subject, createdAt: 1 });
      }
      const results = await Promise.all([
        identities.unlink(userId, ISSUER, s1, { keepOne: true }),
        identities.unlink(userId, ISSUER, s2, { keepOne: true }),
      ]);
      assert.deepEqual(results.sort(), ['last_sign_in_method', 'unlinked']);
      assert.equal((await identities.listByUser(userId)).length, 1);
    }
  });
});

describe('password-less users', () => {
  test('exist, and password sign-in refuses them exactly like a wrong password', async () => {
    const h = await harness();
    await h.users.create({ id: randomUUID(), email: 'nopass@example.com', passwordHash: null, createdAt: 1 });
    const { session } = await h.request();
    const error = await h.accounts
      .signIn(session, { email: 'nopass@example.com', password: 'any password at all' })
      .then(
        () => assert.fail('signed in without a password'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof InvalidCredentialsError);
    const unknown = await h.accounts
      .signIn((await h.request()).session, { email: 'nobody@example.com', password: 'any password at all' })
      .catch((e: unknown) => e);
    assert.ok(unknown instanceof InvalidCredentialsError);
    assert.equal((error as Error).message, (unknown as Error).message);
    // The same work: one (dummy) argon2 verification for each.
    assert.equal(h.hasher.verifications, 2);
    assert.equal(session.session, null);
  });
});
