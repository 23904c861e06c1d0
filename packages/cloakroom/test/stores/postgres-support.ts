// The PostgreSQL test server, shared by the store and account tests: where it is, whether it answers, and a
// fresh schema per test. Without a server the suites are skipped with a visible message, except on CI
// (CI=true), where a missing server is a failure.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { postgresPoolOptions } from '../../src/lib/postgres/pool.js';

export const DATABASE_URL =
  process.env.CLOAKROOM_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A pool on the test server with the recommended settings, and a listener so a lost connection is logged. */
export function testPool(overrides: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool(postgresPoolOptions({ connectionString: DATABASE_URL, max: 4, ...overrides }));
  return pool;
}

async function probe(): Promise<string | null> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Why the test server cannot be used (its error message), or `null` when it answers. */
export const unreachable = await probe();

/**
 * `describe`, when the server answers. Otherwise: skipped with the reason printed, or on CI a failing test.
 */
export function describePostgres(name: string, body: () => void): void {
  if (unreachable === null) {
    describe(name, body);
    return;
  }
  const reason = `PostgreSQL not reachable at ${DATABASE_URL.replace(/\/\/[^@/]*@/, '//')}: ${unreachable}`;
  if (process.env.CI === 'true') {
    test(`${name}: PostgreSQL must be reachable on CI`, () => {
      assert.fail(reason);
    });
    return;
  }
  console.warn(`# SKIPPED ${name}: ${reason} (set CI=true to make this a failure)`);
  test(name, { skip: reason }, () => {});
}

/** A new, empty schema with a random name; `drop` removes it and everything in it. */
export async function freshSchema(pool: pg.Pool): Promise<{ name: string; drop: () => Promise<void> }> {
  const name = `cr_test_${randomBytes(6).toString('hex')}`;
  await pool.query(`CREATE SCHEMA "${name}"`);
  return {
    name,
    drop: async () => {
      await pool.query(`DROP SCHEMA "${name}" CASCADE`);
    },
  };
}
