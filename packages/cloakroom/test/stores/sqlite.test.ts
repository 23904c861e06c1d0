import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createSessionManager } from '../../src/session/manager.js';
import { statements, type SqlNames } from '../../src/stores/sqlite/sql.js';
import { SqliteStore, type SqliteStoreOptions } from '../../src/stores/sqlite/index.js';
import {
  assertSameRecord,
  DAY,
  makeRecord,
  ManualClock,
  MINUTE,
  randomId,
  runStoreConformance,
} from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'cloakroom-sqlite-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function dbFile(): string {
  return join(dir, `sessions-${++files}.db`);
}

runStoreConformance(
  'SqliteStore (in memory)',
  () => {
    const db = new Database(':memory:');
    return Promise.resolve({
      store: new SqliteStore(db),
      close: () => {
        db.close();
      },
      // A row from before the columns were added has NULL in them.
      writeLegacy: async (record) => {
        await new SqliteStore(db).create(record);
        db.prepare('UPDATE cloakroom_sessions SET auth_time = NULL, amr = NULL WHERE id = ?').run(record.id);
      },
    });
  },
  {
    sweepBatches: (batch, runs) => {
      const db = new Database(':memory:');
      // Counts the sweep statement's runs by wrapping the database the store prepares its statements on.
      return Promise.resolve({
        store: new SqliteStore(spyOnSweep(db, runs), { sweepBatchSize: batch }),
        close: () => {
          db.close();
        },
      });
    },
  },
);

runStoreConformance('SqliteStore (file, WAL)', () => {
  const db = new Database(dbFile());
  return Promise.resolve({
    store: new SqliteStore(db, { table: 'app_sessions' }),
    close: () => {
      db.close();
    },
    writeLegacy: async (record) => {
      await new SqliteStore(db, { table: 'app_sessions' }).create(record);
      db.prepare('UPDATE app_sessions SET auth_time = NULL, amr = NULL WHERE id = ?').run(record.id);
    },
  });
});

describe('SqliteStore schema upgrade', () => {
  test('a table from before auth_time and amr gains them; its rows read authTime = createdAt, amr = []', async () => {
    const db = new Database(':memory:');
    db.exec(`CREATE TABLE cloakroom_sessions (id TEXT PRIMARY KEY NOT NULL, user_id TEXT NOT NULL,
      secret_hash BLOB NOT NULL, created_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL, absolute_expires_at INTEGER NOT NULL, user_agent TEXT, ip TEXT,
      version INTEGER NOT NULL) WITHOUT ROWID`);
    const old = makeRecord(Date.now() - 60_000);
    db.prepare(
      'INSERT INTO cloakroom_sessions VALUES (@id, @userId, @secretHash, @createdAt, @lastSeenAt, @expiresAt, ' +
        '@absoluteExpiresAt, @userAgent, @ip, @version)',
    ).run({ ...old, amr: undefined, authTime: undefined });
    const store = new SqliteStore(db);
    assertSameRecord((await store.get(old.id))?.session, { ...old, authTime: old.createdAt, amr: [] });
    // Opening it again adds nothing twice.
    const again = new SqliteStore(db);
    const fresh = makeRecord(Date.now());
    await again.create(fresh);
    assertSameRecord((await store.get(fresh.id))?.session, fresh);
    db.close();
  });
});

function openWithUsers(path = ':memory:') {
  const db = new Database(path);
  db.exec('CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT)');
  return db;
}

interface AppUser {
  id: string;
  email: string;
  name: string | null;
}

const withUsers: SqliteStoreOptions<AppUser> = {
  users: {
    table: 'users',
    columns: ['id', 'email', 'name'],
    toUser: (row) => ({ id: row.id as string, email: row.email as string, name: row.name as string | null }),
  },
};

/** `EXPLAIN QUERY PLAN` lines for one statement. */
function queryPlan(db: Database.Database, sql: string, ...params: unknown[]): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map(
    (row) => row.detail,
  );
}

function assertNoScan(plan: string[]): void {
  assert.ok(plan.length > 0, 'expected a query plan');
  for (const line of plan) assert.doesNotMatch(line, /^SCAN\b/, `full scan in plan: ${plan.join(' | ')}`);
}

describe('SqliteStore', () => {
  test('puts a file database in WAL mode', () => {
    const db = new Database(dbFile());
    try {
      new SqliteStore(db);
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    } finally {
      db.close();
    }
  });

  test('the users join brings the user, and null once the user row is gone', async () => {
    const db = openWithUsers();
    try {
      db.prepare('INSERT INTO users (id, email, name) VALUES (?, ?, ?)').run('u-1', 'ada@example.com', null);
      const clock = new ManualClock();
      const store = new SqliteStore(db, withUsers);
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await store.create(record);
      const found = await store.get(record.id);
      assert.ok(found !== null);
      assertSameRecord(found.session, record);
      assert.deepStrictEqual(found.user, { id: 'u-1', email: 'ada@example.com', name: null });

      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: [randomId().repeat(3)],
        clock,
      });
      const issued = await manager.create('u-1');
      const valid = await manager.validate(issued.token);
      assert.ok(valid.valid);
      assert.deepStrictEqual(valid.user, { id: 'u-1', email: 'ada@example.com', name: null });

      db.prepare('DELETE FROM users WHERE id = ?').run('u-1');
      const orphan = await store.get(record.id);
      assert.ok(orphan !== null);
      assertSameRecord(orphan.session, record);
      assert.equal(orphan.user, null);
      assert.deepStrictEqual(await manager.validate(issued.token), {
        valid: false,
        reason: 'user_not_found',
      });
    } finally {
      db.close();
    }
  });

  test('without toUser the user is the selected columns as they are', async () => {
    const db = openWithUsers();
    try {
      db.prepare('INSERT INTO users (id, email, name) VALUES (?, ?, ?)').run('u-2', 'bo@example.com', 'Bo');
      const store = new SqliteStore<Record<string, unknown>>(db, {
        users: { table: 'users', columns: ['email'] },
      });
      const record = makeRecord(Date.now(), { userId: 'u-2' });
      await store.create(record);
      assert.deepStrictEqual((await store.get(record.id))?.user, { email: 'bo@example.com' });
    } finally {
      db.close();
    }
  });

  test('refuses identifiers that are not plain SQL names, and a bad sweep batch size', () => {
    const db = openWithUsers();
    try {
      const bad = ['users; DROP TABLE users', 'a"b', '1abc', '', 'x'.repeat(64), 'sessions--', 'naïve'];
      for (const name of bad) {
        assert.throws(() => new SqliteStore(db, { table: name }), TypeError, `table ${JSON.stringify(name)}`);
        assert.throws(() => new SqliteStore(db, { users: { table: name, columns: ['id'] } }), TypeError);
        assert.throws(
          () => new SqliteStore(db, { users: { table: 'users', idColumn: name, columns: ['id'] } }),
          TypeError,
        );
        assert.throws(
          () => new SqliteStore(db, { users: { table: 'users', columns: ['email', name] } }),
          TypeError,
        );
      }
      for (const sweepBatchSize of [0, -5, 2.5, Number.NaN]) {
        assert.throws(() => new SqliteStore(db, { sweepBatchSize }), TypeError);
      }
      // Nothing was created by the refused attempts.
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all();
      assert.deepStrictEqual(tables, ['users']);
    } finally {
      db.close();
    }
  });

  test('get, listByUser and deleteExpired use the primary key and indexes, never a full scan', async () => {
    const db = openWithUsers();
    try {
      const store = new SqliteStore(db, withUsers);
      // A few rows and ANALYZE, so the planner is not choosing on an empty table.
      const now = Date.now();
      for (let i = 0; i < 50; i++) await store.create(makeRecord(now, { userId: `u-${i % 10}` }));
      db.exec('ANALYZE');

      const plain: SqlNames = { sessions: 'cloakroom_sessions', users: null };
      const joined: SqlNames = {
        sessions: 'cloakroom_sessions',
        users: { table: 'users', id: 'id', columns: ['email'] },
      };
      const sql = statements(plain);

      const get = queryPlan(db, sql.get, 'x');
      assertNoScan(get);
      assert.ok(
        get.some((line) => /USING PRIMARY KEY \(id=\?\)/.test(line)),
        get.join(' | '),
      );

      const getJoined = queryPlan(db, statements(joined).get, 'x');
      assertNoScan(getJoined);
      assert.ok(
        getJoined.some((line) => /^SEARCH s USING PRIMARY KEY/.test(line)),
        getJoined.join(' | '),
      );
      assert.ok(
        getJoined.some((line) => /^SEARCH u USING .*INDEX sqlite_autoindex_users_1/.test(line)),
        getJoined.join(' | '),
      );

      const list = queryPlan(db, sql.listByUser, 'u-1');
      assertNoScan(list);
      assert.ok(
        list.some((line) => line.includes('INDEX cloakroom_sessions_user_id (user_id=?)')),
        list.join(' | '),
      );

      const sweep = queryPlan(db, sql.deleteExpiredBatch, now, 100);
      assertNoScan(sweep);
      assert.ok(
        sweep.some((line) => line.includes('INDEX cloakroom_sessions_expires_at (expires_at<?)')),
        sweep.join(' | '),
      );
      assert.ok(
        sweep.some((line) => /USING PRIMARY KEY \(id=\?\)/.test(line)),
        sweep.join(' | '),
      );
      assert.ok(!sweep.some((line) => line.includes('TEMP B-TREE')), `sort in sweep: ${sweep.join(' | ')}`);

      // The writes on the hot path find their row by key too.
      assertNoScan(queryPlan(db, sql.touch, { id: 'x', lastSeenAt: 1, expiresAt: 2, version: 1 }));
      assertNoScan(queryPlan(db, sql.delete, 'x'));
      assertNoScan(queryPlan(db, sql.deleteVersion, 'x', 1));
      assertNoScan(queryPlan(db, sql.deleteByUser, 'u-1'));
      assertNoScan(queryPlan(db, sql.deleteByUserExcept, 'u-1', 'x'));
    } finally {
      db.close();
    }
  });

  test('sessions survive closing and reopening the database file', async () => {
    const path = dbFile();
    const clock = new ManualClock();
    const kept = makeRecord(clock.now(), { userId: 'u-1', userAgent: null });
    const touched = makeRecord(clock.now(), { userId: 'u-1' });
    const removed = makeRecord(clock.now(), { userId: 'u-1' });
    const now = clock.advance(MINUTE);
    let token: string;

    const first = openWithUsers(path);
    try {
      first.prepare('INSERT INTO users (id, email) VALUES (?, ?)').run('u-1', 'ada@example.com');
      const store = new SqliteStore(first, withUsers);
      for (const record of [kept, touched, removed]) await store.create(record);
      assert.equal(
        await store.touch(touched.id, { lastSeenAt: now, expiresAt: now + DAY, version: 1 }),
        true,
      );
      await store.delete(removed.id);
      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: ['k'.repeat(32)],
        clock,
      });
      token = (await manager.create('u-1')).token;
    } finally {
      first.close();
    }

    const second = openWithUsers(path);
    try {
      const store = new SqliteStore(second, withUsers);
      assert.equal(second.pragma('journal_mode', { simple: true }), 'wal');
      const found = await store.get(kept.id);
      assertSameRecord(found?.session, kept);
      assert.deepStrictEqual(found?.user, { id: 'u-1', email: 'ada@example.com', name: null });
      assertSameRecord((await store.get(touched.id))?.session, {
        ...touched,
        lastSeenAt: now,
        expiresAt: now + DAY,
        version: 2,
      });
      assert.equal(await store.get(removed.id), null);
      assert.equal((await store.listByUser('u-1')).length, 3);
      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: ['k'.repeat(32)],
        clock,
      });
      const result = await manager.validate(token);
      assert.ok(result.valid);
      assert.equal(result.user.email, 'ada@example.com');
    } finally {
      second.close();
    }
  });

  test('a failing statement rejects, and never throws out of the method', async () => {
    const db = new Database(':memory:');
    const store = new SqliteStore(db);
    db.close();
    const record = makeRecord(Date.now());
    const calls: (() => Promise<unknown>)[] = [
      () => store.get(record.id),
      () => store.create(record),
      () => store.touch(record.id, { lastSeenAt: 1, expiresAt: 2, version: 1 }),
      () => store.replace(record.id, 1, record),
      () => store.delete(record.id),
      () => store.listByUser('u'),
      () => store.deleteByUser('u'),
      () => store.deleteExpired(1),
    ];
    for (const call of calls) {
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = call();
      });
      await assert.rejects(promise!);
    }
  });
});

/**
 * The database as the store sees it, except that running the sweep statement records how many rows each
 * run removed. better-sqlite3 objects are native, so methods are bound to the real object.
 */
function spyOnSweep(db: Database.Database, runs: number[]): Database.Database {
  const sweepSql = statements({ sessions: 'cloakroom_sessions', users: null }).deleteExpiredBatch;
  return new Proxy(db, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'prepare') {
        return (sql: string) => {
          const statement = target.prepare(sql);
          if (sql !== sweepSql) return statement;
          return new Proxy(statement, {
            get(inner, name) {
              const member: unknown = Reflect.get(inner, name, inner);
              if (name !== 'run')
                return typeof member === 'function' ? (member as Method).bind(inner) : member;
              return (...params: unknown[]) => {
                const result = inner.run(...params);
                runs.push(result.changes);
                return result;
              };
            },
          });
        };
      }
      return typeof value === 'function' ? (value as Method).bind(target) : value;
    },
  });
}

type Method = (...args: unknown[]) => unknown;
