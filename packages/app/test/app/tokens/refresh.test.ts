// grant_type=refresh_token and /oauth/revoke over HTTP: rotation, reuse detection (the family dies), and the
// revocation cascades (sign-out, sign-out everywhere, a revoked session, a password change).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient } from '../api/client.js';
import {
  addClient,
  assertOAuthError,
  bearer,
  familyState,
  inspect,
  mint,
  oauthPost,
  signedIn,
} from './support.js';

const PASSWORD = 'correct horse battery';

describe('refresh tokens over HTTP', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.stop();
  });

  const refresh = (token: string, extra: Record<string, string> = {}) =>
    oauthPost(app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token, ...extra });

  test('each refresh answers a new access token and a new refresh token (rotation), no-store', async () => {
    const { client, user } = await signedIn(app);
    const first = await mint(client);
    const response = await refresh(first.refresh_token);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('pragma'), 'no-cache');
    assert.equal(response.headers.getSetCookie().length, 0);
    assert.deepEqual(Object.keys(response.body).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'scope',
      'token_type',
    ]);
    assert.notEqual(response.body.refresh_token, first.refresh_token);
    assert.equal(response.body.scope, 'notes:read notes:write');
    const { claims } = inspect(response.body.access_token as string);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.sid, inspect(first.access_token).claims.sid);
    // The new access token works on the API; the successor refresh token works once more.
    assert.equal((await bearer(app, 'GET', '/api/notes', response.body.access_token as string)).status, 200);
    assert.equal((await refresh(response.body.refresh_token as string)).status, 200);
  });

  test('a narrower scope narrows the access token only; a wider one is invalid_scope', async () => {
    const { client } = await signedIn(app);
    const first = await mint(client);
    const narrowed = await refresh(first.refresh_token, { scope: 'notes:read' });
    assert.equal(narrowed.status, 200, narrowed.text);
    assert.equal(narrowed.body.scope, 'notes:read');
    const again = await refresh(narrowed.body.refresh_token as string);
    assert.equal(again.body.scope, 'notes:read notes:write', 'the family keeps its scope');

    const { client: other } = await signedIn(app);
    const limited = await mint(other, { scope: 'notes:read' });
    assertOAuthError(
      await refresh(limited.refresh_token, { scope: 'notes:read notes:write' }),
      400,
      'invalid_scope',
    );
  });

  test('reuse: a used refresh token presented again revokes the whole family, successor included', async () => {
    const { client } = await signedIn(app);
    const first = await mint(client);
    const second = await refresh(first.refresh_token);
    assert.equal(second.status, 200);
    assertOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    assertOAuthError(await refresh(second.body.refresh_token as string), 400, 'invalid_grant');
    // Other families (another mint from the same session) are untouched.
    const other = await mint(client);
    assert.equal((await refresh(other.refresh_token)).status, 200);
  });

  test('two concurrent refreshes with one token: one wins, the other is a reuse that ends the family', async () => {
    const { client } = await signedIn(app);
    const { refresh_token } = await mint(client);
    const answers = await Promise.all([refresh(refresh_token), refresh(refresh_token)]);
    assert.deepEqual(answers.map((answer) => answer.status).sort(), [200, 400]);
    const winner = answers.find((answer) => answer.status === 200)!;
    assert.equal(familyState(app, refresh_token)?.revoked_reason, 'reuse_detected');
    assertOAuthError(await refresh(winner.body.refresh_token as string), 400, 'invalid_grant');
  });

  test('unknown, malformed or missing refresh tokens all answer the same invalid_grant', async () => {
    const answers = new Set<string>();
    for (const token of ['nonsense', `${'A'.repeat(22)}.${'B'.repeat(43)}`, 'a'.repeat(5000)]) {
      const response = await refresh(token);
      assertOAuthError(response, 400, 'invalid_grant');
      answers.add(response.text);
    }
    const missing = await oauthPost(app, '/oauth/token', { grant_type: 'refresh_token' });
    assertOAuthError(missing, 400, 'invalid_grant');
    answers.add(missing.text);
    assert.equal(answers.size, 1);
  });

  test('a confidential client cannot use a browser session refresh token', async () => {
    const { client } = await signedIn(app);
    const { refresh_token } = await mint(client);
    const service = await addClient(app, ['notes:read'], ['https://svc.example']);
    const response = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token },
      { basic: service },
    );
    assertOAuthError(response, 400, 'invalid_grant');
  });

  describe('revocation cascades', () => {
    test('signing out revokes the refresh tokens of that session (and its access tokens at this site)', async () => {
      const { client } = await signedIn(app);
      const tokens = await mint(client);
      const logout = await client.post('/api/auth/logout');
      assert.equal(logout.status, 204);
      assert.equal(familyState(app, tokens.refresh_token)?.revoked_reason, 'session_ended');
      assertOAuthError(await refresh(tokens.refresh_token), 400, 'invalid_grant');
      assert.equal((await bearer(app, 'GET', '/api/notes', tokens.access_token)).status, 401);
    });

    test('signing out everywhere revokes the refresh tokens of every session of the user', async () => {
      const email = `everywhere-${process.pid}-${Date.now()}@example.test`;
      const laptop = new ApiClient(app);
      await laptop.register(email);
      const phone = new ApiClient(app);
      await phone.login(email);
      const fromLaptop = await mint(laptop);
      const fromPhone = await mint(phone);
      assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, null);
      assert.equal((await phone.delete('/api/sessions')).status, 204);
      assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, 'user_sessions_ended');
      assert.equal(familyState(app, fromPhone.refresh_token)?.revoked_reason, 'user_sessions_ended');
      assertOAuthError(await refresh(fromLaptop.refresh_token), 400, 'invalid_grant');
      assertOAuthError(await refresh(fromPhone.refresh_token), 400, 'invalid_grant');
      assert.equal((await bearer(app, 'GET', '/api/me', fromLaptop.access_token)).status, 401);
    });

    test('revoking one session from "your sessions" revokes its refresh tokens only', async () => {
      const email = `one-${process.pid}-${Date.now()}@example.test`;
      const laptop = new ApiClient(app);
      await laptop.register(email);
      const phone = new ApiClient(app);
      await phone.login(email);
      const fromLaptop = await mint(laptop);
      const fromPhone = await mint(phone);
      const phoneSession = inspect(fromPhone.access_token).claims.sid as string;
      assert.equal((await laptop.delete(`/api/sessions/${phoneSession}`)).status, 204);
      assert.equal(familyState(app, fromPhone.refresh_token)?.revoked_reason, 'session_ended');
      assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, null);
      assertOAuthError(await refresh(fromPhone.refresh_token), 400, 'invalid_grant');
      assert.equal((await bearer(app, 'GET', '/api/me', fromPhone.access_token)).status, 401);
      assert.equal((await refresh(fromLaptop.refresh_token)).status, 200);
    });

    test('changing the password revokes every refresh token of the user, the current session included', async () => {
      const email = `password-${process.pid}-${Date.now()}@example.test`;
      const laptop = new ApiClient(app);
      await laptop.register(email);
      const phone = new ApiClient(app);
      await phone.login(email);
      const fromLaptop = await mint(laptop);
      const fromPhone = await mint(phone);
      const change = await laptop.post('/api/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'a brand new passphrase',
      });
      assert.equal(change.status, 200, change.text);
      // The other session's families go with it; the current session's when it is rotated.
      assert.equal(familyState(app, fromPhone.refresh_token)?.revoked_reason, 'user_sessions_ended');
      assert.equal(familyState(app, fromLaptop.refresh_token)?.revoked_reason, 'session_ended');
      assertOAuthError(await refresh(fromLaptop.refresh_token), 400, 'invalid_grant');
      assertOAuthError(await refresh(fromPhone.refresh_token), 400, 'invalid_grant');
      assert.equal((await bearer(app, 'GET', '/api/me', fromLaptop.access_token)).status, 401);
      // The rotated browser session can mint again.
      const fresh = await mint(laptop);
      assert.equal((await refresh(fresh.refresh_token)).status, 200);
    });
  });

  describe('POST /oauth/revoke (RFC 7009)', () => {
    test('revokes the family of a refresh token; 200 with no body, also for unknown tokens', async () => {
      const { client } = await signedIn(app);
      const tokens = await mint(client);
      const revoked = await oauthPost(app, '/oauth/revoke', {
        token: tokens.refresh_token,
        token_type_hint: 'refresh_token',
      });
      assert.equal(revoked.status, 200, revoked.text);
      assert.equal(revoked.text, '');
      assert.equal(revoked.headers.get('cache-control'), 'no-store');
      assertOAuthError(await refresh(tokens.refresh_token), 400, 'invalid_grant');
      for (const token of [tokens.refresh_token, 'unknown', tokens.access_token]) {
        const again = await oauthPost(app, '/oauth/revoke', { token });
        assert.equal(again.status, 200);
      }
    });

    test('400 invalid_request without a token; 401 invalid_client for bad client credentials', async () => {
      assertOAuthError(await oauthPost(app, '/oauth/revoke', {}), 400, 'invalid_request');
      const response = await oauthPost(
        app,
        '/oauth/revoke',
        { token: 'x' },
        { basic: { id: 'nobody', secret: 'x' } },
      );
      assertOAuthError(response, 401, 'invalid_client');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic /);
    });
  });
});

describe('refresh-token limits over HTTP (injected clock)', () => {
  const MINUTE = 60_000;
  let app: TestApp;
  const clock = new ManualClock(Date.now());
  before(async () => {
    app = await startTestApp({
      clock,
      env: {
        CLOAKROOM_REFRESH_IDLE_SECONDS: '3600',
        CLOAKROOM_REFRESH_ABSOLUTE_SECONDS: '7200',
        CLOAKROOM_SESSION_IDLE_SECONDS: '86400',
        CLOAKROOM_SESSION_ABSOLUTE_SECONDS: '86400',
      },
    });
  });
  after(async () => {
    await app.stop();
  });
  const refresh = (token: string) =>
    oauthPost(app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token });

  test('idle: a refresh token unused for the idle time is dead, though its session lives', async () => {
    const { client } = await signedIn(app);
    const { refresh_token } = await mint(client);
    clock.advance(60 * MINUTE);
    assertOAuthError(await refresh(refresh_token), 400, 'invalid_grant');
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('absolute: rotating every 50 minutes does not carry a family past its 2 hours', async () => {
    const { client } = await signedIn(app);
    let token = (await mint(client)).refresh_token;
    for (let i = 0; i < 2; i += 1) {
      clock.advance(50 * MINUTE);
      const response = await refresh(token);
      assert.equal(response.status, 200, response.text);
      token = response.body.refresh_token as string;
    }
    clock.advance(20 * MINUTE); // 120 minutes after the family began, 20 after the last use
    assertOAuthError(await refresh(token), 400, 'invalid_grant');
  });
});

describe('a family never outlives its session (injected clock)', () => {
  test("the session's absolute end caps the family", async () => {
    const clock = new ManualClock(Date.now());
    const app = await startTestApp({
      clock,
      env: { CLOAKROOM_SESSION_IDLE_SECONDS: '1800', CLOAKROOM_SESSION_ABSOLUTE_SECONDS: '1800' },
    });
    try {
      const { client } = await signedIn(app);
      let token = (await mint(client)).refresh_token;
      clock.advance(20 * 60_000);
      const response = await oauthPost(app, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: token,
      });
      assert.equal(response.status, 200, response.text);
      token = response.body.refresh_token as string;
      clock.advance(10 * 60_000); // the session's 30 minutes are over
      assertOAuthError(
        await oauthPost(app, '/oauth/token', { grant_type: 'refresh_token', refresh_token: token }),
        400,
        'invalid_grant',
      );
    } finally {
      await app.stop();
    }
  });
});
