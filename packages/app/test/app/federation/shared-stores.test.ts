// Federation on the shared stores: users and identity links in PostgreSQL (the site's migrations create
// cloakroom_identities beside users), pre-login records, logout token ids and provider sessions in Redis
// beside the sessions. Without PostgreSQL or Redis the file is skipped with a message, except on CI.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { TestApp } from '../../helpers/app.js';
import { FakeOidcProvider } from '../../../../cloakroom/test/helpers/fake-oidc-provider.js';
import { DATABASE_URL } from '../../../../cloakroom/test/stores/postgres-support.js';
import { Browser, siteOrigin, startSiteWithProviders } from './support.js';
import { forgetLoopbackRegistrations } from '../../helpers/redis-throttle.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

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
if (skip !== false) console.warn(`# SKIPPED test/app/federation/shared-stores.test.ts: ${skip}`);

describe('site federation on PostgreSQL and Redis', { skip }, () => {
  const schema = `cr_fed_${randomBytes(5).toString('hex')}`;
  let pool: pg.Pool;
  let provider: FakeOidcProvider;
  let app: TestApp;

  before(async () => {
    await forgetLoopbackRegistrations(REDIS_URL);
    pool = new pg.Pool({ connectionString: DATABASE_URL });
    await pool.query(`CREATE SCHEMA "${schema}"`);
    provider = await FakeOidcProvider.start();
    const site = await siteOrigin();
    app = await startSiteWithProviders(
      site,
      [
        {
          id: 'fake',
          issuer: provider.issuer,
          clientId: provider.clientId,
          clientSecret: provider.clientSecret,
          label: 'Fake',
        },
      ],
      {
        CLOAKROOM_DATABASE_URL: `${DATABASE_URL}?options=-c%20search_path%3D${schema}`,
        CLOAKROOM_STORE: REDIS_URL,
      },
    );
  });
  after(async () => {
    await app?.stop();
    await provider?.close();
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  });

  test('sign-in, identities in PostgreSQL, single-use pre-login in Redis, back-channel logout by sid', async () => {
    provider.subject = `user-${randomUUID()}`;
    provider.userinfo = (sub) => ({ sub, email: `${sub}@example.com`, email_verified: true });
    const browser = new Browser();
    const start = await browser.navigate(`${app.origin}/auth/oidc/fake/start`);
    const back = await provider.authorize(start.location ?? '');
    const preLogin = browser.jar(app.origin).header();
    const callback = await browser.navigate(back.href, provider.issuer);
    assert.equal(callback.status, 303, callback.text);

    const me = await browser.getJson(`${app.origin}/api/me`);
    assert.deepEqual((me.body as { user: { identities: unknown } }).user.identities, [
      { provider: 'fake', subject: provider.subject },
    ]);
    const { rows } = await pool.query(`SELECT provider, subject FROM "${schema}".cloakroom_identities`);
    assert.deepEqual(rows, [{ provider: 'fake', subject: provider.subject }]);

    const replay = await fetch(back.href, { headers: { cookie: preLogin }, redirect: 'manual' });
    assert.equal(replay.status, 400);
    assert.match(await replay.text(), /login_expired/);

    const now = Math.floor(Date.now() / 1000);
    const token = await provider.sign(
      {
        iss: provider.issuer,
        aud: provider.clientId,
        iat: now,
        jti: randomUUID(),
        sid: 'provider-session-1',
        events: { 'http://schemas.openid.net/event/backchannel-logout': {} },
      },
      { typ: 'logout+jwt' },
      'RS256',
    );
    const logout = await fetch(`${app.origin}/auth/oidc/fake/backchannel-logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(),
    });
    assert.equal(logout.status, 200);
    assert.equal((await browser.getJson(`${app.origin}/api/me`)).status, 401);
  });
});
