import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import { Accounts } from '../../src/accounts/accounts.js';
import { PasswordHasher } from '../../src/accounts/password-hash.js';
import {
  migratePostgresAccounts,
  POSTGRES_ACCOUNT_USERS_JOIN,
  PostgresAttemptStore,
  PostgresUserStore,
} from '../../src/accounts/stores/postgres.js';
import type { AccountUser, AttemptRecord, UserRecord } from '../../src/accounts/types.js';
import { CloakroomError } from '../../src/errors.js';
import { EmailTakenError } from '../../src/accounts/errors.js';
import { loadRequestSession } from '../../src/session/request-session.js';
import { SessionManager } from '../../src/session/manager.js';
import { PostgresStore } from '../../src/stores/postgres/index.js';
import { describePostgres, freshSchema, testPool } from '../stores/postgres-support.js';
import { ManualClock } from '../helpers/clock.js';
import { CHEAP, ORIGIN } from './support.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const PASSWORD = 'correct horse battery';

const record = (failures: number, lastFailureAt = T0, windowStartedAt = T0): AttemptRecord => ({
  failures,
  windowStartedAt,
  lastFailureAt,
});

let pool: pg.Pool;
before(() => {
  pool = testPool();
});
after(async () => {
  await pool.end();
});

/** Runs `body` with the account tables migrated into a new schema, dropped afterwards. */
async function inSchema(body: (schema: string) => Promise<void>): Promise<void> {
  const schema = await freshSchema(pool);
  try {
    await migratePostgresAccounts(pool, { schema: schema.name });
    await body(schema.name);
  } finally {
    await schema.drop();
  }
}

describePostgres('PostgresUserStore', () => {
  test('keeps users, finds them by email and id, and updates the hash', () =>
    inSchema(async (schema) => {
      const users = new PostgresUserStore(pool, { schema });
      const user: UserRecord = { id: 'u1', email: 'ada@example.com', passwordHash: null, createdAt: T0 + 1 };
      await users.create(user);
      const read = { ...user, emailVerified: false, lockedAt: null };
      assert.deepStrictEqual(await users.findByEmail('ada@example.com'), read);
      assert.deepStrictEqual(await users.findById('u1'), read);
      assert.equal(await users.findByEmail('ADA@example.com'), null, 'emails arrive normalized');
      assert.equal(await users.findById('missing'), null);
      await users.setPasswordHash('u1', '$argon2id$v=19$x');
      assert.equal((await users.findById('u1'))?.passwordHash, '$argon2id$v=19$x');
      await users.setPasswordHash('missing', 'h');
      assert.equal(await users.findById('missing'), null);
    }));

  test('a second create of an email is EmailTakenError; an id collision is a plain failure', () =>
    inSchema(async (schema) => {
      const users = new PostgresUserStore(pool, { schema });
      const first: UserRecord = { id: 'u1', email: 'ada@example.com', passwordHash: 'h', createdAt: T0 };
      await users.create(first);
      await assert.rejects(users.create({ ...first, id: 'u2' }), EmailTakenError);
      await assert.rejects(users.create({ ...first, email: 'bo@example.com' }), (error: unknown) => {
        assert.ok(!(error instanceof CloakroomError), 'an id collision is not "email taken"');
        assert.equal((error as { code?: string }).code, '23505');
        return true;
      });
      assert.deepStrictEqual(await users.findById('u1'), { ...first, emailVerified: false, lockedAt: null });
      assert.equal(await users.findByEmail('bo@example.com'), null);
    }));

  test('two registrations of one email at once: one account, and EmailTakenError for the other', async () => {
    const schema = await freshSchema(pool);
    try {
      const clock = new ManualClock();
      const users = await PostgresUserStore.create(pool, { schema: schema.name });
      const attempts = new PostgresAttemptStore(pool, { schema: schema.name });
      const store = await PostgresStore.create<AccountUser>(pool, {
        schema: schema.name,
        users: POSTGRES_ACCOUNT_USERS_JOIN,
      });
      const sessions = new SessionManager<AccountUser>({
        store,
        origin: ORIGIN,
        keys: ['k'.repeat(43)],
        clock,
      });
      const accounts = new Accounts({ users, attempts, sessions, clock, hasher: new PasswordHasher(CHEAP) });
      const request = async () => {
        const setCookies: string[] = [];
        const session = await loadRequestSession(
          sessions,
          {
            method: 'POST',
            cookie: null,
            origin: ORIGIN,
            secFetchSite: null,
            userAgent: 'test',
            ip: '192.0.2.1',
          },
          (value) => setCookies.push(value),
        );
        return { session, setCookies };
      };

      // Usually both pass the findByEmail check before either inserts (hashing sits between), so the unique
      // constraint decides; either way the loser must see EmailTakenError, never a 503 or a second account.
      const [a, b] = [await request(), await request()];
      const results = await Promise.allSettled([
        accounts.register(a.session, { email: 'ada@example.com', password: PASSWORD }),
        accounts.register(b.session, { email: 'Ada@Example.com', password: PASSWORD }),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<AccountUser> => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.ok(lost[0]!.reason instanceof EmailTakenError, String(lost[0]!.reason));
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema.name}".users`,
      );
      assert.equal(rows[0]?.n, 1);

      // The winner's session validates with the user joined from the users table in the same query.
      const winner = a.setCookies.length === 1 ? a : b;
      const token = sessions.readToken(winner.setCookies[0]!.split(';', 1)[0]);
      const validated = await sessions.validate(token);
      assert.ok(validated.valid);
      assert.deepStrictEqual(validated.user, { id: won[0]!.value.id, email: 'ada@example.com' });

      // And signing in again works against the stored argon2id hash.
      const again = await request();
      const signedIn = await accounts.signIn(again.session, { email: 'ada@example.com', password: PASSWORD });
      assert.equal(signedIn.id, won[0]!.value.id);
    } finally {
      await schema.drop();
    }
  });
});

describePostgres('PostgresAttemptStore', () => {
  const WINDOW = 10 * MINUTE;

  test('counts failures in a window and restarts the window when it is over', () =>
    inSchema(async (schema) => {
      const store = new PostgresAttemptStore(pool, { schema });
      assert.equal(await store.get('k'), null);
      assert.deepStrictEqual(await store.recordFailure('k', T0, WINDOW), record(1, T0, T0));
      assert.deepStrictEqual(await store.recordFailure('k', T0 + 5, WINDOW), record(2, T0 + 5, T0));
      assert.deepStrictEqual(
        await store.recordFailure('k', T0 + WINDOW - 1, WINDOW),
        record(3, T0 + WINDOW - 1, T0),
      );
      assert.deepStrictEqual(await store.get('k'), record(3, T0 + WINDOW - 1, T0));
      // At exactly the end of the window, a new one starts.
      assert.deepStrictEqual(
        await store.recordFailure('k', T0 + WINDOW, WINDOW),
        record(1, T0 + WINDOW, T0 + WINDOW),
      );
      assert.equal(await store.get('other'), null, 'keys are independent');
    }));

  test('forgiveFailure takes back one failure in a running window, never below 0 nor in an ended one', () =>
    inSchema(async (schema) => {
      const store = new PostgresAttemptStore(pool, { schema });
      await store.forgiveFailure('k', T0, WINDOW);
      assert.equal(await store.get('k'), null);
      await store.recordFailure('k', T0, WINDOW);
      await store.recordFailure('k', T0 + 5, WINDOW);
      await store.forgiveFailure('k', T0 + 6, WINDOW);
      assert.deepStrictEqual(await store.get('k'), record(1, T0 + 5, T0));
      await store.forgiveFailure('k', T0 + 7, WINDOW);
      await store.forgiveFailure('k', T0 + 8, WINDOW);
      assert.deepStrictEqual(await store.get('k'), record(0, T0 + 5, T0));
      await store.recordFailure('k', T0 + 9, WINDOW);
      await store.forgiveFailure('k', T0 + WINDOW, WINDOW);
      assert.deepStrictEqual(await store.get('k'), record(1, T0 + 9, T0));
    }));

  test('clear and deleteExpired', () =>
    inSchema(async (schema) => {
      const store = new PostgresAttemptStore(pool, { schema });
      await store.recordFailure('a', T0, WINDOW);
      await store.recordFailure('b', T0 + MINUTE, WINDOW);
      await store.recordFailure('c', T0 + 2 * MINUTE, WINDOW);
      await store.clear('a');
      await store.clear('missing');
      assert.equal(await store.get('a'), null);
      assert.equal(await store.deleteExpired(T0 + MINUTE), 1, 'windows started at or before the time go');
      assert.equal(await store.get('b'), null);
      assert.notEqual(await store.get('c'), null);
      assert.equal(await store.deleteExpired(T0), 0);
    }));

  test('two pools counting under one key at once lose no count', () =>
    inSchema(async (schema) => {
      const other = testPool();
      try {
        const stores = [
          new PostgresAttemptStore(pool, { schema }),
          new PostgresAttemptStore(other, { schema }),
        ];
        const PER_POOL = 200;
        const counted = await Promise.all(
          Array.from({ length: 2 * PER_POOL }, (_, i) =>
            stores[i % 2]!.recordFailure('shared', T0 + 1, WINDOW),
          ),
        );
        // Every failure saw a distinct count: the upsert is atomic.
        assert.deepStrictEqual(
          counted.map((r) => r.failures).sort((x, y) => x - y),
          Array.from({ length: 2 * PER_POOL }, (_, i) => i + 1),
        );
        assert.deepStrictEqual(await stores[0]!.get('shared'), record(2 * PER_POOL, T0 + 1, T0 + 1));
      } finally {
        await other.end();
      }
    }));
});

describePostgres('account migrations', () => {
  test('run from two pools at once beside the session store, each component applied once', async () => {
    const schema = await freshSchema(pool);
    const other = testPool();
    try {
      const runs = await Promise.all([
        migratePostgresAccounts(pool, { schema: schema.name }),
        migratePostgresAccounts(other, { schema: schema.name }),
        PostgresUserStore.create(other, { schema: schema.name }).then(() => []),
        PostgresAttemptStore.create(pool, { schema: schema.name }).then(() => []),
        new PostgresStore(other, { schema: schema.name }).migrate(),
        new PostgresStore(pool, { schema: schema.name }).migrate(),
      ]);
      // The sessions component was migrated by exactly one of its two runs; the accounts one by at most one
      // of the two runs that report (the store factories may have done it). A second application would have
      // failed on the primary key of cloakroom_migrations, or on CREATE TABLE.
      assert.deepStrictEqual(runs.slice(4).flat(), [1, 2]);
      assert.ok(
        runs.slice(0, 2).every((ran) => ran.length === 0) ||
          JSON.stringify(runs.slice(0, 2).flat()) === '[1,2,3]',
        JSON.stringify(runs),
      );
      const { rows } = await pool.query<{ component: string; version: number }>(
        `SELECT component, version FROM "${schema.name}".cloakroom_migrations ORDER BY component, version`,
      );
      assert.deepStrictEqual(rows, [
        { component: 'accounts', version: 1 },
        { component: 'accounts', version: 2 },
        { component: 'accounts', version: 3 },
        { component: 'sessions:cloakroom_sessions', version: 1 },
        { component: 'sessions:cloakroom_sessions', version: 2 },
      ]);
      assert.deepStrictEqual(await migratePostgresAccounts(pool, { schema: schema.name }), []);
    } finally {
      await other.end();
      await schema.drop();
    }
  });
});
