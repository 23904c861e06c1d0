// Account recovery on the shared stores: users, their verification and the one-time tokens in PostgreSQL
// (accounts migration v2), sessions and the request limits in Redis, mail over a real SMTP server. Without
// PostgreSQL or Redis the file is skipped with a message, except on CI.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { DATABASE_URL } from '../../../../cloakroom/test/stores/postgres-support.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { forgetLoopbackRegistrations } from '../../helpers/redis-throttle.js';
import { linkTo, linkToken, startSmtpServer, type TestSmtpServer } from '../../helpers/smtp.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
// The per-address limits live in the machine's Redis, which outlives a run: lifted here, tested elsewhere.
const LIFTED = { limit: 1_000_000, windowSeconds: 3600 };
const NEW_PASSWORD = 'a fresh and long passphrase';

async function reachable(): Promise<string | null> {
  const pool = new pg.Pool({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  try {
    await pool.query('SELECT 1');
    const redis = new URL(REDIS_URL);
    await new Promise<void>((resolve, reject) => {
      const socket = new Socket();
      socket.once('error', reject).connect(Number(redis.port || 6379), redis.hostname, () => {
        socket.destroy();
        resolve();
      });
    });
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await pool.end();
  }
}

const unreachable = await reachable();
if (unreachable !== null && process.env.CI === 'true')
  throw new Error(`stores not reachable on CI: ${unreachable}`);
const skip = unreachable === null ? false : `PostgreSQL or Redis not reachable (${unreachable})`;
if (skip !== false) console.warn(`# SKIPPED test/app/api/recovery-shared-stores.test.ts: ${skip}`);

describe('account recovery on PostgreSQL and Redis', { skip }, () => {
  const schema = `cr_recovery_${randomBytes(5).toString('hex')}`;
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let app: TestApp;
  const token = async (to: string, page: 'verify-email' | 'reset-password') =>
    linkToken(await smtp.next(to, linkTo(page)), app.origin, page);

  before(async () => {
    await forgetLoopbackRegistrations(REDIS_URL);
    pool = new pg.Pool({ connectionString: DATABASE_URL });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    smtp = await startSmtpServer();
    app = await startTestApp({
      env: {
        CLOAKROOM_DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${schema}`,
        CLOAKROOM_STORE: REDIS_URL,
        CLOAKROOM_SMTP_URL: smtp.url,
      },
      recoveryLimits: { resetPerAddress: LIFTED, resetPerIp: LIFTED, verifyRequest: LIFTED },
    });
  });
  after(async () => {
    await app?.stop();
    await smtp?.stop();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  test('verify, reset (the other session ends), change email and delete, persisted in PostgreSQL', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('pg-recovery');
    const user = await client.register(email);
    const verify = await token(email, 'verify-email');
    const stored = await pool.query<{ hash: string }>(
      `SELECT hash FROM "${schema}".cloakroom_one_time_tokens`,
    );
    assert.deepEqual(
      stored.rows.map((row) => row.hash),
      [createHash('sha256').update(verify).digest('base64url')],
      'only the hash is stored',
    );
    assert.equal((await client.post('/api/auth/email/verify', { token: verify })).status, 200);
    const verified = await pool.query<{ email_verified: boolean }>(
      `SELECT email_verified FROM "${schema}".users WHERE id = $1`,
      [user.id],
    );
    assert.equal(verified.rows[0]?.email_verified, true);

    const other = new ApiClient(app);
    await other.login(email);
    assert.equal((await new ApiClient(app).post('/api/auth/password/forgot', { email })).status, 202);
    const reset = await token(email, 'reset-password');
    const visitor = new ApiClient(app);
    assert.equal(
      (await visitor.post('/api/auth/password/reset', { token: reset, newPassword: NEW_PASSWORD })).status,
      200,
    );
    assertError(await other.get('/api/me'), 401, 'unauthenticated');
    assertError(await client.get('/api/me'), 401, 'unauthenticated');

    const moved = uniqueEmail('pg-moved');
    const change = await visitor.post('/api/auth/email/change', {
      newEmail: moved,
      currentPassword: NEW_PASSWORD,
    });
    assert.equal(change.status, 202, change.text);
    assert.equal(
      (await visitor.post('/api/auth/email/verify', { token: await token(moved, 'verify-email') })).status,
      200,
    );
    const me = (await visitor.get('/api/me')).body as { user: { email: string; emailVerified: boolean } };
    assert.equal(me.user.email, moved);
    assert.equal(me.user.emailVerified, true);

    assert.equal((await visitor.delete('/api/me', { json: { currentPassword: NEW_PASSWORD } })).status, 204);
    const left = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".users WHERE id = $1`,
      [user.id],
    );
    assert.equal(left.rows[0]?.n, 0);
    const tokens = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".cloakroom_one_time_tokens`,
    );
    assert.equal(tokens.rows[0]?.n, 0);
  });
});
