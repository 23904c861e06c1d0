import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { CloakroomError } from '../../src/errors.js';
import { createSessionManager } from '../../src/session/manager.js';
import { runMigrations } from '../../src/lib/postgres/migrate.js';
import { isConnectionLost, postgresPoolOptions } from '../../src/lib/postgres/pool.js';
import { sessionMigrations, statements, type SqlNames } from '../../src/stores/postgres/sql.js';
import { PostgresStore, type PostgresStoreOptions } from '../../src/stores/postgres/index.js';
import type { SessionRecord, SessionUser } from '../../src/stores/types.js';
import {
  assertSameRecord,
  HOUR,
  makeRecord,
  ManualClock,
  randomId,
  runStoreConformance,
} from './conformance.js';
import { DATABASE_URL, describePostgres, freshSchema, testPool } from './postgres-support.js';

const KEYS = ['k'.repeat(32)];

let pool: pg.Pool;
before(() => {
  pool = testPool();
});
after(async () => {
  await pool.end();
});

/** A store in its own new schema, and a way to drop both. */
async function storeInFreshSchema<U = SessionUser>(options: PostgresStoreOptions<U> = {}) {
  const schema = await freshSchema(pool);
  const store = await PostgresStore.create<U>(pool, { ...options, schema: schema.name });
  return { store, schema: schema.name, drop: schema.drop };
}

function managerOn<U>(store: PostgresStore<U>, clock = new ManualClock()) {
  return createSessionManager({ store, origin: 'https://app.example', keys: KEYS, clock });
}

async function assertStoreUnavailable(promise: Promise<unknown>): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof CloakroomError, `expected a CloakroomError, got ${String(error)}`);
    assert.equal(error.code, 'store_unavailable');
    return true;
  });
}

/** Milliseconds `promise` took to settle, and whether it rejected. */
async function timed(promise: Promise<unknown>): Promise<{ ms: number; error: unknown }> {
  const start = performance.now();
  try {
    await promise;
    return { ms: performance.now() - start, error: undefined };
  } catch (error) {
    return { ms: performance.now() - start, error };
  }
}

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

// The conformance suite issues some calls at once and expects them applied in the order issued (a delete,
// then a replace that must find nothing). Over a pool of several connections the server may run them in
// either order, both linearizable; so the suite runs on a one-connection pool, where issue order is apply
// order. The races themselves run below over several connections, with assertions that hold in any order.
let serial: pg.Pool;
before(() => {
  serial = testPool({ max: 1 });
});
after(async () => {
  await serial.end();
});

async function conformanceStore(options: PostgresStoreOptions<SessionUser> = {}) {
  const schema = await freshSchema(pool);
  const store = await PostgresStore.create(serial, { ...options, schema: schema.name });
  const table = `"${schema.name}"."${options.table ?? 'cloakroom_sessions'}"`;
  return {
    store,
    close: schema.drop,
    // A row from before migration 2 has NULL in its columns.
    writeLegacy: async (record: SessionRecord) => {
      await store.create(record);
      await pool.query(`UPDATE ${table} SET auth_time = NULL, amr = NULL WHERE id = $1`, [record.id]);
    },
  };
}

describePostgres('PostgresStore', () => {
  runStoreConformance('PostgresStore', () => conformanceStore(), {
    sweepBatches: async (batch, runs) => {
      const schema = await freshSchema(pool);
      const sweepSql = statements({
        schema: schema.name,
        sessions: 'cloakroom_sessions',
        users: null,
      }).deleteExpiredBatch;
      const store = await PostgresStore.create(countingPool(pool, sweepSql, runs), {
        schema: schema.name,
        sweepBatchSize: batch,
      });
      return { store, close: schema.drop };
    },
  });

  runStoreConformance('PostgresStore (named table, batch of 2)', () =>
    conformanceStore({ table: 'app_sessions', sweepBatchSize: 2 }),
  );

  test('migrate creates the table once and records the version; running it again does nothing', async () => {
    const schema = await freshSchema(pool);
    try {
      const store = new PostgresStore(pool, { schema: schema.name });
      assert.deepStrictEqual(await store.migrate(), [1, 2]);
      assert.deepStrictEqual(await store.migrate(), []);
      assert.deepStrictEqual(
        (await PostgresStore.create(pool, { schema: schema.name })) instanceof PostgresStore,
        true,
      );
      const { rows } = await pool.query<{ component: string; version: number }>(
        `SELECT component, version FROM "${schema.name}".cloakroom_migrations ORDER BY component, version`,
      );
      assert.deepStrictEqual(rows, [
        { component: 'sessions:cloakroom_sessions', version: 1 },
        { component: 'sessions:cloakroom_sessions', version: 2 },
      ]);
      const indexes = await pool.query<{ indexname: string }>(
        'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
        [schema.name],
      );
      assert.deepStrictEqual(
        indexes.rows.map((row) => row.indexname),
        [
          'cloakroom_migrations_pkey',
          'cloakroom_sessions_expires_at',
          'cloakroom_sessions_pkey',
          'cloakroom_sessions_user_id',
        ],
      );
    } finally {
      await schema.drop();
    }
  });

  test('migration 2 adds auth_time and amr to a version-1 table; its rows read authTime = createdAt, amr = []', async () => {
    const schema = await freshSchema(pool);
    try {
      const names: SqlNames = { schema: schema.name, sessions: 'cloakroom_sessions', users: null };
      const [first] = sessionMigrations(names);
      await runMigrations(pool, {
        schema: schema.name,
        component: 'sessions:cloakroom_sessions',
        migrations: [first!],
      });
      const old = makeRecord(Date.now() - 60_000);
      await pool.query(
        `INSERT INTO "${schema.name}".cloakroom_sessions (id, user_id, secret_hash, created_at, last_seen_at, ` +
          'expires_at, absolute_expires_at, user_agent, ip, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
        [
          old.id,
          old.userId,
          Buffer.from(old.secretHash),
          old.createdAt,
          old.lastSeenAt,
          old.expiresAt,
          old.absoluteExpiresAt,
          old.userAgent,
          old.ip,
          old.version,
        ],
      );
      const store = new PostgresStore(pool, { schema: schema.name });
      assert.deepStrictEqual(await store.migrate(), [2]);
      assertSameRecord((await store.get(old.id))?.session, { ...old, authTime: old.createdAt, amr: [] });
    } finally {
      await schema.drop();
    }
  });

  test('migrations run at once from two pools: applied exactly once, and no one fails', async () => {
    const other = testPool();
    const schema = await freshSchema(pool);
    try {
      // Ten starts at once, over two pools (so over up to eight connections), into an empty schema.
      const starts = Array.from({ length: 10 }, (_, i) =>
        new PostgresStore(i % 2 === 0 ? pool : other, { schema: schema.name }).migrate(),
      );
      const applied = await Promise.all(starts);
      assert.equal(applied.filter((versions) => versions.length > 0).length, 1, JSON.stringify(applied));
      assert.deepStrictEqual(applied.flat(), [1, 2]);
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${schema.name}".cloakroom_migrations`,
      );
      assert.equal(rows[0]?.n, 2);
      const store = new PostgresStore(other, { schema: schema.name });
      const record = makeRecord(Date.now());
      await store.create(record);
      assertSameRecord((await store.get(record.id))?.session, record);
    } finally {
      await schema.drop();
      await other.end();
    }
  });

  test('a failing migration rolls back every step of its run and records nothing', async () => {
    const schema = await freshSchema(pool);
    try {
      const migrations = [
        { version: 1, description: 'a table', sql: `CREATE TABLE "${schema.name}".first (id int)` },
        { version: 2, description: 'broken', sql: 'CREATE TABLE nonsense (' },
      ];
      await assert.rejects(runMigrations(pool, { schema: schema.name, component: 'demo', migrations }));
      const tables = await pool.query('SELECT tablename FROM pg_tables WHERE schemaname = $1', [schema.name]);
      assert.deepStrictEqual(tables.rows, []);
      // Fixed, it applies both.
      migrations[1] = {
        version: 2,
        description: 'fixed',
        sql: `CREATE TABLE "${schema.name}".second (id int)`,
      };
      assert.deepStrictEqual(
        await runMigrations(pool, { schema: schema.name, component: 'demo', migrations }),
        [1, 2],
      );
      await assert.rejects(
        runMigrations(pool, {
          schema: schema.name,
          component: 'demo',
          migrations: [migrations[0]!, migrations[0]!],
        }),
        TypeError,
      );
    } finally {
      await schema.drop();
    }
  });

  test('refuses identifiers that are not plain SQL names, and a bad sweep batch size', () => {
    const bad = ['users; DROP TABLE users', 'a"b', '1abc', '', 'x'.repeat(64), 'sessions--', 'naïve', 'a.b'];
    for (const name of bad) {
      assert.throws(
        () => new PostgresStore(pool, { table: name }),
        TypeError,
        `table ${JSON.stringify(name)}`,
      );
      assert.throws(() => new PostgresStore(pool, { schema: name }), TypeError);
      assert.throws(() => new PostgresStore(pool, { users: { table: name, columns: ['id'] } }), TypeError);
      assert.throws(
        () => new PostgresStore(pool, { users: { table: 'users', schema: name, columns: ['id'] } }),
        TypeError,
      );
      assert.throws(
        () => new PostgresStore(pool, { users: { table: 'users', idColumn: name, columns: ['id'] } }),
        TypeError,
      );
      assert.throws(
        () => new PostgresStore(pool, { users: { table: 'users', columns: ['email', name] } }),
        TypeError,
      );
    }
    // The index names derive from the table name and must fit too.
    assert.throws(() => new PostgresStore(pool, { table: 'x'.repeat(60) }), TypeError);
    for (const sweepBatchSize of [0, -5, 2.5, Number.NaN]) {
      assert.throws(() => new PostgresStore(pool, { sweepBatchSize }), TypeError);
    }
  });

  test('the users join brings the user in the same query, and user_not_found once the row is gone', async () => {
    const { store, schema, drop } = await storeInFreshSchema<{
      id: string;
      email: string;
      name: string | null;
    }>({
      users: {
        table: 'users',
        columns: ['id', 'email', 'name'],
        toUser: (row) => ({
          id: row.id as string,
          email: row.email as string,
          name: row.name as string | null,
        }),
      },
    });
    try {
      await pool.query(
        `CREATE TABLE "${schema}".users (id text PRIMARY KEY, email text NOT NULL, name text)`,
      );
      await pool.query(`INSERT INTO "${schema}".users VALUES ('u-1', 'ada@example.com', NULL)`);
      const clock = new ManualClock();
      const record = makeRecord(clock.now(), { userId: 'u-1' });
      await store.create(record);
      const found = await store.get(record.id);
      assert.ok(found !== null);
      assertSameRecord(found.session, record);
      assert.deepStrictEqual(found.user, { id: 'u-1', email: 'ada@example.com', name: null });

      const manager = managerOn(store, clock);
      const issued = await manager.create('u-1');
      const valid = await manager.validate(issued.token);
      assert.ok(valid.valid);
      assert.deepStrictEqual(valid.user, { id: 'u-1', email: 'ada@example.com', name: null });

      await pool.query(`DELETE FROM "${schema}".users WHERE id = 'u-1'`);
      const orphan = await store.get(record.id);
      assert.ok(orphan !== null);
      assertSameRecord(orphan.session, record);
      assert.equal(orphan.user, null);
      assert.deepStrictEqual(await manager.validate(issued.token), {
        valid: false,
        reason: 'user_not_found',
      });
    } finally {
      await drop();
    }
  });

  test('without toUser the user is the selected columns by name, even odd ones; users may live in another schema', async () => {
    const users = await freshSchema(pool);
    const { store, drop } = await storeInFreshSchema<Record<string, unknown>>({
      users: {
        schema: users.name,
        table: 'people',
        idColumn: 'key',
        columns: ['email', 'u0', '__proto__', 'id'],
      },
    });
    try {
      await pool.query(
        `CREATE TABLE "${users.name}".people (key text PRIMARY KEY, email text, u0 int, "__proto__" text, id int)`,
      );
      await pool.query(`INSERT INTO "${users.name}".people VALUES ('p-1', 'bo@example.com', 7, 'x', 42)`);
      const record = makeRecord(Date.now(), { userId: 'p-1' });
      await store.create(record);
      const found = await store.get(record.id);
      assertSameRecord(found?.session, record);
      const user = found?.user;
      assert.ok(user);
      assert.deepStrictEqual(Object.keys(user), ['email', 'u0', '__proto__', 'id']);
      assert.equal(user.email, 'bo@example.com');
      assert.equal(user.u0, 7);
      assert.equal(user.id, 42);
      assert.equal(Object.getPrototypeOf(user), Object.prototype);
    } finally {
      await drop();
      await users.drop();
    }
  });

  test('get, listByUser and the sweep use the primary key and indexes, never a sequential scan', async () => {
    const { schema, drop } = await storeInFreshSchema();
    const client = await pool.connect();
    try {
      await client.query(`CREATE TABLE "${schema}".users (id text PRIMARY KEY, email text NOT NULL)`);
      const now = Date.now();
      // Enough rows (2,000 over 200 users) and ANALYZE, so the planner is not choosing on an empty table;
      // and seqscans off for this connection, so a plan with one means no index could serve.
      await client.query(
        `INSERT INTO "${schema}".cloakroom_sessions
           SELECT 's-' || i, 'u-' || (i % 200), '\\x00'::bytea, $1::bigint, $1::bigint, $1::bigint + i * 1000, $1::bigint + 86400000, NULL, NULL, 1
           FROM generate_series(1, 2000) AS i`,
        [now],
      );
      await client.query(`ANALYZE "${schema}".cloakroom_sessions`);
      await client.query('SET enable_seqscan = off');
      const explain = async (sql: string, values: unknown[]) => {
        const { rows } = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          values,
        );
        const nodes = planNodes(rows[0]!['QUERY PLAN'][0].Plan);
        for (const node of nodes) assert.notEqual(node['Node Type'], 'Seq Scan', JSON.stringify(nodes));
        return nodes;
      };
      const indexes = (nodes: PlanNode[]) => nodes.map((node) => node['Index Name']).filter(Boolean);

      const plain: SqlNames = { schema, sessions: 'cloakroom_sessions', users: null };
      const sql = statements(plain);
      assert.deepStrictEqual(indexes(await explain(sql.get, ['s-5'])), ['cloakroom_sessions_pkey']);
      const joined = statements({
        ...plain,
        users: { schema, table: 'users', id: 'id', columns: ['email'] },
      });
      assert.deepStrictEqual(indexes(await explain(joined.get, ['s-5'])).sort(), [
        'cloakroom_sessions_pkey',
        'users_pkey',
      ]);
      assert.ok(indexes(await explain(sql.listByUser, ['u-7'])).includes('cloakroom_sessions_user_id'));
      const sweep = await explain(sql.deleteExpiredBatch, [now + 500_000, 100]);
      assert.ok(indexes(sweep).includes('cloakroom_sessions_expires_at'), JSON.stringify(sweep));
      assert.ok(
        !sweep.some((node) => node['Node Type'] === 'Sort'),
        `sort in sweep: ${JSON.stringify(sweep)}`,
      );
      // The writes on the hot path find their row by key too.
      for (const [text, values] of [
        [sql.touch, ['s-5', 1, 2, 1]],
        [sql.delete, ['s-5']],
        [sql.deleteByUser, ['u-7']],
        [sql.deleteByUserExcept, ['u-7', 's-7']],
        [sql.replace, ['s-5', 1, 'n', 'u', Buffer.alloc(1), 1, 1, 1, 1, null, null, 1, 1, 'pwd']],
      ] as const) {
        assert.ok(indexes(await explain(text, [...values])).length > 0, text);
      }
    } finally {
      client.release();
      await drop();
    }
  });

  test('a rotation racing touches and a revocation leaves at most one live successor, never the old id', async () => {
    const { store, drop } = await storeInFreshSchema();
    try {
      for (let round = 0; round < 20; round++) {
        const old = makeRecord(Date.now(), { userId: 'racer' });
        await store.create(old);
        const next = makeRecord(Date.now(), { userId: 'racer' });
        const now = Date.now();
        const [replaced, touched, , second] = await Promise.all([
          store.replace(old.id, 1, next),
          store.touch(old.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 }),
          round % 2 === 0 ? store.delete(old.id) : Promise.resolve(),
          store.replace(old.id, 1, makeRecord(now, { userId: 'racer' })),
        ]);
        // Compare-and-set: of the three writes at version 1, exactly one can win (unless a delete came first).
        assert.ok([replaced, touched, second].filter(Boolean).length <= 1);
        const left = await store.listByUser('racer');
        assert.ok(left.length <= 1, `${left.length} sessions left`);
        if (replaced)
          assert.deepStrictEqual(
            left.map((r) => r.id),
            [next.id],
          );
        if (!replaced && !second && round % 2 === 1) assert.equal(left[0]?.id, old.id);
        await store.deleteByUser('racer');
      }
    } finally {
      await drop();
    }
  });

  test('attaches one error listener per pool, so a lost idle connection is no crash', async () => {
    const fresh = testPool();
    try {
      assert.equal(fresh.listenerCount('error'), 0);
      const seen: Error[] = [];
      new PostgresStore(fresh, { onPoolError: (error) => seen.push(error) });
      new PostgresStore(fresh);
      assert.equal(fresh.listenerCount('error'), 1);
      const error = new Error('lost');
      fresh.emit('error', error);
      assert.deepStrictEqual(seen, [error]);
    } finally {
      await fresh.end();
    }
  });

  test('postgresPoolOptions bounds every wait, and what you pass wins', () => {
    const options = postgresPoolOptions({ max: 3, connectionString: DATABASE_URL });
    assert.equal(options.max, 3);
    assert.equal(options.connectionString, DATABASE_URL);
    for (const key of [
      'connectionTimeoutMillis',
      'statement_timeout',
      'query_timeout',
      'idleTimeoutMillis',
    ] as const) {
      const value = options[key];
      assert.ok(typeof value === 'number' && value > 0 && value <= 10_000, key);
    }
    assert.ok((options.query_timeout ?? 0) > Number(options.statement_timeout));
    assert.equal(isConnectionLost(Object.assign(new Error('x'), { code: '57P01' })), true);
    assert.equal(isConnectionLost(Object.assign(new Error('x'), { code: '57014' })), false);
    assert.equal(isConnectionLost(new Error('Connection terminated due to connection timeout')), false);
    assert.equal(isConnectionLost(new Error('Query read timeout')), false);
  });
});

describePostgres('PostgresStore when the server is down, slow, refusing writes or cut off', () => {
  test('a closed port rejects within the connection timeout, and validate is store_unavailable', async () => {
    const dead = new pg.Pool(
      postgresPoolOptions({
        host: '127.0.0.1',
        port: 1,
        user: 'postgres',
        database: 'test',
        connectionTimeoutMillis: 500,
      }),
    );
    try {
      const store = new PostgresStore(dead);
      const { ms, error } = await timed(store.get(randomId()));
      assert.ok(error instanceof Error, 'the read must reject');
      assert.ok(ms < 1500, `took ${ms} ms`);
      await assert.rejects(store.migrate());
      const manager = managerOn(store);
      // A well-formed, signed token, so validation gets as far as the store.
      const token = await signedToken();
      await assertStoreUnavailable(manager.validate(token));
      await assertStoreUnavailable(manager.create('u-1'));
    } finally {
      await dead.end();
    }
  });

  test('a server that accepts and never answers: rejected within connectionTimeoutMillis', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    assert.ok(address !== null && typeof address === 'object');
    const hung = new pg.Pool(
      postgresPoolOptions({
        host: '127.0.0.1',
        port: address.port,
        user: 'postgres',
        database: 'test',
        connectionTimeoutMillis: 300,
      }),
    );
    try {
      const manager = managerOn(new PostgresStore(hung));
      const token = await signedToken();
      const { ms, error } = await timed(manager.validate(token));
      assert.ok(error instanceof CloakroomError && error.code === 'store_unavailable', String(error));
      assert.ok(ms >= 250 && ms < 2000, `took ${ms} ms`);
      // Many requests at once queue for no longer than the same bound: no unbounded wait.
      const all = await timed(Promise.allSettled(Array.from({ length: 30 }, () => manager.validate(token))));
      assert.ok(all.ms < 2500, `30 requests took ${all.ms} ms`);
    } finally {
      await hung.end();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  test('a slow server (a table locked elsewhere) gives store_unavailable after statement_timeout, then recovers', async () => {
    const schema = await freshSchema(pool);
    const slow = testPool({ statement_timeout: 300, query_timeout: 1000 });
    const locker = await pool.connect();
    try {
      const store = await PostgresStore.create(slow, { schema: schema.name });
      const manager = managerOn(store);
      const issued = await manager.create('u-1');
      await locker.query('BEGIN');
      await locker.query(`LOCK TABLE "${schema.name}".cloakroom_sessions IN ACCESS EXCLUSIVE MODE`);

      const { ms, error } = await timed(manager.validate(issued.token));
      assert.ok(error instanceof CloakroomError && error.code === 'store_unavailable', String(error));
      assert.equal((error.cause as { code?: string }).code, '57014', 'cancelled by statement_timeout');
      assert.ok(ms >= 250 && ms < 1500, `took ${ms} ms`);
      await assertStoreUnavailable(manager.revoke(issued.session.id));

      await locker.query('ROLLBACK');
      const result = await manager.validate(issued.token);
      assert.ok(result.valid, 'the session is still there: a slow store signed no one out');
    } finally {
      await locker.query('ROLLBACK').catch(() => {});
      locker.release();
      await slow.end();
      await schema.drop();
    }
  });

  test('a server refusing writes (read-only transactions) gives store_unavailable for writes; reads still work', async () => {
    const schema = await freshSchema(pool);
    const readOnly = testPool({ options: '-c default_transaction_read_only=on' });
    try {
      const writable = await PostgresStore.create(pool, { schema: schema.name });
      const record = makeRecord(Date.now());
      await writable.create(record);
      const store = new PostgresStore(readOnly, { schema: schema.name });
      await assert.rejects(
        store.create(makeRecord(Date.now())),
        (error: { code?: string }) => error.code === '25006',
      );
      assertSameRecord((await store.get(record.id))?.session, record);
      const manager = managerOn(store);
      await assertStoreUnavailable(manager.create('u-1'));
      await assertStoreUnavailable(manager.revoke(record.id));
      assertSameRecord((await store.get(record.id))?.session, record);
    } finally {
      await readOnly.end();
      await schema.drop();
    }
  });

  test('a terminated connection: the read is retried on a fresh one, a write rejects or succeeds, never a crash', async () => {
    const schema = await freshSchema(pool);
    const name = `cr_kill_${randomId().replace(/[^A-Za-z0-9]/g, '')}`;
    // One connection, and no listener of the test's own: only the store's guards the process.
    const victim = new pg.Pool(
      postgresPoolOptions({ connectionString: DATABASE_URL, max: 1, application_name: name }),
    );
    try {
      const store = await PostgresStore.create(victim, { schema: schema.name });
      const record = makeRecord(Date.now());
      await store.create(record);
      const kill = async () => {
        const { rows } = await pool.query<{ killed: boolean }>(
          'SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1',
          [name],
        );
        assert.deepStrictEqual(rows, [{ killed: true }]);
      };

      await kill();
      assertSameRecord((await store.get(record.id))?.session, record);

      await kill();
      const now = Date.now();
      const touched = await store
        .touch(record.id, { lastSeenAt: now, expiresAt: now + HOUR, version: 1 })
        .then(
          (changed) => ({ changed }),
          (error: unknown) => ({ error }),
        );
      assert.ok('changed' in touched ? touched.changed : touched.error instanceof Error);
      // The next query gets a fresh connection.
      const after = await store.get(record.id);
      assert.ok(after !== null);
      assert.equal(after.session.version, 'changed' in touched && touched.changed ? 2 : 1);
    } finally {
      await victim.end();
      await schema.drop();
    }
  });

  test("all of a pool's connections terminated at once: requests reject or succeed, then service is back", async () => {
    const schema = await freshSchema(pool);
    const name = `cr_kill_${randomId().replace(/[^A-Za-z0-9]/g, '')}`;
    const victim = new pg.Pool(
      postgresPoolOptions({ connectionString: DATABASE_URL, max: 4, application_name: name }),
    );
    try {
      const store = await PostgresStore.create(victim, { schema: schema.name });
      const manager = managerOn(store);
      const issued = await manager.create('u-1');
      // Four reads at once open four connections.
      await Promise.all([1, 2, 3, 4].map(() => store.get(issued.session.id)));
      assert.equal(victim.totalCount, 4);
      const { rows } = await pool.query<{ n: number }>(
        'SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE application_name = $1',
        [name],
      );
      assert.equal(rows[0]?.n, 4);

      // Each failed attempt discards at least one dead connection, so within max + 1 attempts one succeeds.
      let succeeded = false;
      for (let attempt = 0; attempt < 5 && !succeeded; attempt++) {
        try {
          succeeded = (await manager.validate(issued.token)).valid;
          assert.ok(succeeded, 'the session must still be valid');
        } catch (error) {
          assert.ok(error instanceof CloakroomError && error.code === 'store_unavailable', String(error));
        }
      }
      assert.ok(succeeded);
      for (let i = 0; i < 3; i++) assert.equal((await manager.validate(issued.token)).valid, true);
    } finally {
      await victim.end();
      await schema.drop();
    }
  });
});

/** A token signed with the tests' keys, for a session that exists nowhere: it gets validation to the store. */
async function signedToken(): Promise<string> {
  const issuer = createSessionManager({
    store: {
      get: () => Promise.resolve(null),
      create: () => Promise.resolve(),
      touch: () => Promise.resolve(false),
      replace: () => Promise.resolve(false),
      delete: () => Promise.resolve(),
    },
    origin: 'https://app.example',
    keys: KEYS,
  });
  return (await issuer.create('u-1')).token;
}

/** The pool as the store sees it, except that the sweep statement's row counts are recorded. */
function countingPool(target: pg.Pool, sweepSql: string, runs: number[]): pg.Pool {
  return new Proxy(target, {
    get(inner, property) {
      if (property === 'query') {
        // The store sends `{ name, text, values }` (named statements), or text and values.
        return async (query: string | pg.QueryConfig, values?: unknown[]) => {
          const result = await inner.query(query, values);
          const text = typeof query === 'string' ? query : query.text;
          if (text === sweepSql) runs.push(result.rowCount ?? 0);
          return result;
        };
      }
      const value: unknown = Reflect.get(inner, property, inner);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(inner) : value;
    },
  });
}
