// With CLOAKROOM_STORE=redis://… the sessions live in Redis while refresh tokens and clients stay in the
// durable database (never in a store that may evict): the session checks and revocation cascades still hold.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient } from '../api/client.js';
import { assertOAuthError, bearer, familyState, mint, oauthPost } from './support.js';
import { forgetLoopbackRegistrations } from '../../helpers/redis-throttle.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function reachable(): Promise<string | null> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  try {
    await redis.connect();
    await redis.ping();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    redis.disconnect();
  }
}

const unreachable = await reachable();
if (unreachable !== null && process.env.CI === 'true')
  throw new Error(`Redis not reachable on CI: ${unreachable}`);
const skip = unreachable === null ? false : `Redis not reachable (${unreachable})`;
if (skip !== false) console.warn(`# SKIPPED test/app/tokens/redis-sessions.test.ts: ${skip}`);

describe('tokens with sessions in Redis', { skip }, () => {
  let app: TestApp;
  before(async () => {
    await forgetLoopbackRegistrations(REDIS_URL);
    app = await startTestApp({ env: { CLOAKROOM_STORE: REDIS_URL } });
  });
  after(async () => {
    await app.stop();
  });

  test('bearer tokens and refresh tokens follow the Redis session: sign out everywhere ends them all', async () => {
    const email = `redis-${process.pid}-${Date.now()}@example.test`;
    const laptop = new ApiClient(app);
    await laptop.register(email);
    const phone = new ApiClient(app);
    await phone.login(email);
    const fromLaptop = await mint(laptop);
    const fromPhone = await mint(phone);
    assert.equal((await bearer(app, 'GET', '/api/me', fromLaptop.access_token)).status, 200);
    const refreshed = await oauthPost(app, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: fromPhone.refresh_token,
    });
    assert.equal(refreshed.status, 200, refreshed.text);

    assert.equal((await laptop.post('/api/auth/logout')).status, 204);
    assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, 'session_ended');
    assert.equal((await bearer(app, 'GET', '/api/me', fromLaptop.access_token)).status, 401);
    assert.equal((await bearer(app, 'GET', '/api/me', fromPhone.access_token)).status, 200);

    assert.equal((await phone.delete('/api/sessions')).status, 204);
    assert.equal(
      familyState(app, refreshed.body.refresh_token as string)?.revoked_reason,
      'user_sessions_ended',
    );
    assertOAuthError(
      await oauthPost(app, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: refreshed.body.refresh_token as string,
      }),
      400,
      'invalid_grant',
    );
    assert.equal((await bearer(app, 'GET', '/api/me', fromPhone.access_token)).status, 401);
  });
});
