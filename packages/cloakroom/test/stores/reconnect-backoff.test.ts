// Reconnection with bounded, jittered backoff: the shared delay function, the Redis client options built on
// it, and the PostgreSQL store's backoff after a failed connection (through a TCP proxy that is stopped and
// restarted, with a manual clock, so nothing here waits on real time to pass).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { createSessionManager } from '../../src/session/manager.js';
import { backoffDelay } from '../../src/lib/backoff.js';
import { isConnectFailure } from '../../src/lib/postgres/pool.js';
import { PostgresStore, postgresPoolOptions } from '../../src/stores/postgres/index.js';
import { redisClientOptions, redisClusterOptions } from '../../src/stores/redis/index.js';
import { ManualClock, randomId } from './conformance.js';
import { DATABASE_URL, describePostgres } from './postgres-support.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

describe('backoffDelay', () => {
  test('waits half to all of the doubling delay, never more than the cap', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(2000, 50 * 2 ** attempt);
      assert.equal(
        backoffDelay(attempt, 50, 2000, () => 0),
        Math.round(ceiling / 2),
      );
      assert.equal(
        backoffDelay(attempt, 50, 2000, () => 1),
        ceiling,
      );
    }
    assert.equal(
      backoffDelay(-3, 50, 2000, () => 1),
      50,
    );
    assert.equal(
      backoffDelay(Number.MAX_SAFE_INTEGER, 50, 2000, () => 1),
      2000,
    );
  });

  test('is jittered: processes that lost the same server spread their attempts', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelay(10, 50, 2000)));
    assert.ok(delays.size > 50, `${delays.size} distinct delays of 200`);
    for (const delay of delays) assert.ok(delay >= 1000 && delay <= 2000, `${delay} ms`);
  });
});

describe('Redis client options reconnect with bounded, jittered backoff', () => {
  type Strategy = ((times: number) => unknown) | null | undefined;
  const cases: [string, Strategy, number][] = [
    ['redisClientOptions', redisClientOptions({ maxReconnectDelayMs: 800 }).retryStrategy, 25],
    ['redisClusterOptions', redisClusterOptions({ maxReconnectDelayMs: 800 }).clusterRetryStrategy, 50],
  ];
  for (const [name, maybe, first] of cases) {
    test(`${name}: for ever, from ${first * 2} ms doubling, capped, never in lockstep`, () => {
      assert.ok(typeof maybe === 'function');
      const strategy = maybe;
      for (let times = 1; times <= 1000; times++) {
        const delay = strategy(times);
        assert.equal(typeof delay, 'number', 'never gives up (null would stop reconnecting)');
        const ceiling = Math.min(800, first * 2 * 2 ** (times - 1));
        assert.ok(
          Number(delay) >= ceiling / 2 - 1 && Number(delay) <= ceiling,
          `attempt ${times}: ${String(delay)}`,
        );
      }
      const spread = new Set(Array.from({ length: 100 }, () => strategy(20)));
      assert.ok(spread.size > 10, `${spread.size} distinct delays at attempt 20`);
    });
  }
});

describe('isConnectFailure', () => {
  test('tells a failed connection from a failed statement', () => {
    const withCode = (code: string) => Object.assign(new Error('x'), { code });
    for (const error of [
      withCode('ECONNREFUSED'),
      withCode('57P03'),
      new Error('Connection terminated due to connection timeout'),
    ]) {
      assert.equal(isConnectFailure(error), true, error.message);
    }
    // A busy pool (no free connection within connectionTimeoutMillis) is load, not an unreachable server.
    const busyPool = new Error('timeout exceeded when trying to connect');
    for (const error of [withCode('57014'), withCode('23505'), withCode('57P01'), busyPool, 'text']) {
      assert.equal(isConnectFailure(error), false);
    }
  });
});

describePostgres('PostgresStore reconnect backoff', () => {
  test('a busy pool (no free connection in time) is load, not an outage: no backoff', async () => {
    const url = new URL(DATABASE_URL);
    const pool = new pg.Pool(
      postgresPoolOptions({ connectionString: url.href, max: 1, connectionTimeoutMillis: 200 }),
    );
    pool.on('error', () => undefined);
    try {
      const store = new PostgresStore(pool, { clock: new ManualClock() });
      const held = await pool.connect();
      await assert.rejects(store.get(randomId()), /timeout exceeded when trying to connect/);
      held.release();
      // The next call goes to the server at once (a statement error: the sessions table does not exist).
      await assert.rejects(store.get(randomId()), { code: '42P01' });
    } finally {
      await pool.end();
    }
  });

  test('after a failed connection calls fail at once without touching the pool, until the wait is over', async () => {
    const url = new URL(DATABASE_URL);
    const proxy = new TcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const port = await proxy.start(0);
    const pool = new pg.Pool(
      postgresPoolOptions({
        host: '127.0.0.1',
        port,
        user: decodeURIComponent(url.username) || 'postgres',
        password: decodeURIComponent(url.password) || undefined,
        database: url.pathname.slice(1) || 'test',
        max: 2,
        connectionTimeoutMillis: 1000,
      }),
    );
    pool.on('error', () => undefined);
    let queries = 0;
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    (pool as { query: unknown }).query = (...args: unknown[]) => {
      queries++;
      return query(...args);
    };
    const clock = new ManualClock();
    try {
      // The sessions table is not needed: reading a missing table is a statement error, never a backoff.
      const store = new PostgresStore(pool, { clock, reconnectBackoff: { baseMs: 200, maxMs: 400 } });
      await assert.rejects(store.get(randomId()), { code: '42P01' });
      await assert.rejects(store.get(randomId()), { code: '42P01' });
      assert.equal(queries, 2, 'statement errors go to the server every time');

      await proxy.stop();
      // The pooled connection dies with the proxy (noticed on its next use, or at once), then reconnecting
      // is refused: that failed connection starts the backoff.
      let failure: unknown = null;
      for (let i = 0; i < 5 && !isConnectFailure(failure); i++) {
        failure = await store.get(randomId()).then(
          () => null,
          (error: unknown) => error,
        );
      }
      assert.ok(isConnectFailure(failure), `a refused connection, got ${String(failure)}`);
      const tried = queries;
      // Within the wait: at once, with no connection attempt, and 503 through the session layer.
      await assert.rejects(store.get(randomId()), /unreachable; next connection attempt in \d+ ms/);
      const manager = createSessionManager({
        store,
        origin: 'https://app.example',
        keys: [randomBytes(32)],
        clock,
      });
      await assert.rejects(manager.create('u-1'), { code: 'store_unavailable' });
      assert.equal(queries, tried);

      // The server is back, but the wait is not over: still refused without trying.
      await proxy.start(port);
      await assert.rejects(store.get(randomId()), /unreachable/);
      assert.equal(queries, tried);

      // Once the wait (at most maxMs) has passed, the next call tries, and its success ends the backoff.
      clock.advance(400);
      await assert.rejects(store.get(randomId()), { code: '42P01' });
      assert.equal(queries, tried + 1);
      await assert.rejects(store.get(randomId()), { code: '42P01' });
      assert.equal(queries, tried + 2);
    } finally {
      await pool.end();
      await proxy.stop();
    }
  });
});
