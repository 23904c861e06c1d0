// The auth routes over real HTTP: register, login, logout, password change, and the session cookie itself.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, COOKIE, assertError, captureLog, uniqueEmail } from './client.js';

const PASSWORD = 'correct horse battery';

describe('auth API', () => {
  let app: TestApp;
  const logged = captureLog();
  before(async () => {
    app = await startTestApp({ log: logged.log });
  });
  after(async () => {
    await app.stop();
  });

  describe('POST /api/auth/register', () => {
    test('201 {user:{id,email}}, signed in with a session cookie', async () => {
      const client = new ApiClient(app);
      const email = uniqueEmail();
      const response = await client.post('/api/auth/register', { email, password: PASSWORD });
      assert.equal(response.status, 201);
      const { user } = response.body as { user: { id: string; email: string } };
      assert.deepEqual(Object.keys(user).sort(), ['email', 'id']);
      assert.equal(user.email, email);
      assert.match(user.id, /^[0-9a-f-]{36}$/);
      assert.ok(response.cookie, 'a session cookie is set');

      const me = await client.get('/api/me');
      assert.equal(me.status, 200);
      // /api/me also lists the linked OpenID providers (none here).
      assert.deepEqual((me.body as { user: unknown }).user, {
        ...user,
        emailVerified: false,
        identities: [],
      });
    });

    test('the session cookie is HttpOnly, SameSite=Lax, Path=/, persistent, and not Secure on loopback http', async () => {
      const response = await fetch(`${app.url}/api/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: app.origin },
        body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD }),
      });
      assert.equal(response.status, 201);
      const lines = response.headers.getSetCookie().filter((line) => line.startsWith(`${COOKIE}=`));
      assert.equal(lines.length, 1);
      const [pair, ...attributes] = lines[0]!.split(';').map((part) => part.trim());
      const names = attributes.map((attribute) => attribute.split('=')[0]!.toLowerCase());
      assert.ok(names.includes('httponly'));
      assert.ok(attributes.some((attribute) => /^samesite=lax$/i.test(attribute)));
      assert.ok(attributes.some((attribute) => /^path=\/$/i.test(attribute)));
      assert.ok(attributes.some((attribute) => /^max-age=\d+$/i.test(attribute)));
      assert.ok(!names.includes('secure'), 'plain http on loopback: no Secure');
      assert.ok(!names.includes('domain'), 'host-only');
      // The cookie is small: a signed `<id>.<secret>.<mac>` token.
      assert.ok(pair!.length - COOKIE.length - 1 <= 64, `cookie value of ${pair!.length} characters`);
    });

    test('the email is normalized (trimmed, lower-cased) and the same address cannot register twice: 409', async () => {
      const email = uniqueEmail('Mixed');
      const first = new ApiClient(app);
      const user = await first.register(`  ${email.toUpperCase()} `);
      assert.equal(user.email, email.toLowerCase());

      const second = new ApiClient(app);
      const response = await second.post('/api/auth/register', {
        email,
        password: 'another good passphrase',
      });
      assertError(response, 409, 'email_taken');
      assert.equal(response.cookie, undefined, 'no session for a refused registration');
    });

    test('400 invalid_request for a missing, non-string or malformed email', async () => {
      const client = new ApiClient(app);
      for (const body of [
        { password: PASSWORD },
        { email: 42, password: PASSWORD },
        { email: null, password: PASSWORD },
        { email: 'no-at-sign.example', password: PASSWORD },
        { email: 'two@@example.test', password: PASSWORD },
        { email: 'space in@example.test', password: PASSWORD },
        { email: 'nodot@localhost', password: PASSWORD },
        { email: '', password: PASSWORD },
        { email: `${'a'.repeat(250)}@example.test`, password: PASSWORD },
      ]) {
        assertError(await client.post('/api/auth/register', body), 400, 'invalid_request');
      }
      assert.equal(client.cookie, null);
    });

    test('400 weak_password: too short, too long, common, or the email itself', async () => {
      const client = new ApiClient(app);
      const email = uniqueEmail('alice');
      for (const password of [
        'short',
        'x'.repeat(129),
        'password123',
        'Password1',
        email,
        email.split('@')[0],
      ]) {
        assertError(await client.post('/api/auth/register', { email, password }), 400, 'weak_password');
      }
      // 8 and 128 characters are fine; characters are code points (an emoji is one).
      await new ApiClient(app).register(uniqueEmail(), 'q7#Lm!2z');
      await new ApiClient(app).register(uniqueEmail(), 'y'.repeat(64) + 'Z'.repeat(64));
      await new ApiClient(app).register(uniqueEmail(), '🔑'.repeat(100));
      // The weak attempts created nothing: the address is still free.
      await new ApiClient(app).register(email);
    });

    test('400 invalid_request for a non-string password', async () => {
      const client = new ApiClient(app);
      for (const password of [undefined, 12345678, ['a', 'b'], { value: PASSWORD }, true]) {
        assertError(
          await client.post('/api/auth/register', { email: uniqueEmail(), password }),
          400,
          'invalid_request',
        );
      }
    });
  });

  describe('POST /api/auth/login', () => {
    test('200 {user} with a new session cookie; every login is a new session', async () => {
      const email = uniqueEmail();
      const user = await new ApiClient(app).register(email);
      const first = new ApiClient(app);
      const response = await first.post('/api/auth/login', { email, password: PASSWORD });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { user });
      assert.ok(response.cookie);

      const second = new ApiClient(app);
      await second.login(email.toUpperCase());
      assert.notEqual(second.cookie, first.cookie);
      assert.equal((await first.get('/api/me')).status, 200);
      assert.equal((await second.get('/api/me')).status, 200);
    });

    test('the password is NFC-normalized: a decomposed spelling signs in to an account made composed', async () => {
      const email = uniqueEmail();
      const composed = 'caf\u00e9 au lait, s\u00e9rieux';
      await new ApiClient(app).register(email, composed);
      await new ApiClient(app).login(email, composed.normalize('NFD'));
    });

    test('unknown email and wrong password: the same 401 invalid_credentials, the same message, no cookie', async () => {
      const email = uniqueEmail();
      await new ApiClient(app).register(email);
      const client = new ApiClient(app);
      const wrong = await client.post('/api/auth/login', { email, password: 'not the password' });
      const unknown = await client.post('/api/auth/login', {
        email: uniqueEmail(),
        password: 'not the password',
      });
      assertError(wrong, 401, 'invalid_credentials');
      assertError(unknown, 401, 'invalid_credentials');
      assert.deepEqual(wrong.body, unknown.body);
      assert.equal(wrong.cookie, undefined);
      assert.equal(unknown.cookie, undefined);
      assert.equal(client.cookie, null);
    });

    test('a password over 128 characters is just wrong (401), and so is a huge one', async () => {
      const email = uniqueEmail();
      const long = 'L'.repeat(129);
      await new ApiClient(app).register(email);
      const client = new ApiClient(app);
      assertError(
        await client.post('/api/auth/login', { email, password: long }),
        401,
        'invalid_credentials',
      );
      assertError(
        await client.post('/api/auth/login', { email, password: 'x'.repeat(60_000) }),
        401,
        'invalid_credentials',
      );
    });

    test('400 invalid_request for missing or mistyped fields and a malformed email', async () => {
      const client = new ApiClient(app);
      for (const body of [
        {},
        { email: uniqueEmail() },
        { password: PASSWORD },
        { email: uniqueEmail(), password: 12345678 },
        { email: ['a@b.c'], password: PASSWORD },
        { email: 'not an email', password: PASSWORD },
        [uniqueEmail(), PASSWORD],
        'a string',
        null,
        7,
      ]) {
        assertError(await client.post('/api/auth/login', body), 400, 'invalid_request');
      }
    });

    test('signing in with a pre-existing session cookie gives a new cookie and ends the old session', async () => {
      const email = uniqueEmail();
      const client = new ApiClient(app);
      await client.register(email);
      const old = client.cookie!;
      const oldSession = ((await client.get('/api/me')).body as { session: { id: string } }).session.id;

      const response = await client.post('/api/auth/login', { email, password: PASSWORD });
      assert.equal(response.status, 200);
      assert.ok(response.cookie);
      assert.notEqual(response.cookie, old);

      const me = await client.get('/api/me');
      assert.equal(me.status, 200);
      assert.notEqual((me.body as { session: { id: string } }).session.id, oldSession);
      const replayed = await client.get('/api/me', { cookie: old });
      assertError(replayed, 401, 'unauthenticated');
      assert.equal(replayed.cookie, '', 'the dead cookie is cleared');
      const sessions = (await client.get('/api/sessions')).body as { sessions: { id: string }[] };
      assert.ok(!sessions.sessions.some((session) => session.id === oldSession));
    });

    test('signing in over a stale cookie answers one Set-Cookie for the session: the new one', async () => {
      const email = uniqueEmail();
      await new ApiClient(app).register(email);
      const stale = new ApiClient(app);
      await stale.register(uniqueEmail());
      const dead = stale.cookie!;
      await stale.post('/api/auth/logout');
      for (const cookie of [dead, 'garbage', 'a.b.c']) {
        for (const [path, body] of [
          ['/api/auth/login', { email, password: PASSWORD }],
          ['/api/auth/register', { email: uniqueEmail(), password: PASSWORD }],
        ] as const) {
          const response = await fetch(`${app.url}${path}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              origin: app.origin,
              cookie: `${COOKIE}=${cookie}`,
            },
            body: JSON.stringify(body),
          });
          assert.ok(response.status === 200 || response.status === 201, String(response.status));
          const lines = response.headers.getSetCookie().filter((line) => line.startsWith(`${COOKIE}=`));
          assert.equal(
            lines.length,
            1,
            `one Set-Cookie per cookie name (RFC 6265 4.1.1): ${lines.join(' | ')}`,
          );
          const value = lines[0]!.split(';', 1)[0]!.slice(COOKIE.length + 1);
          assert.ok(value.length > 0, 'the new session, not the clearing of the stale one');
          assert.equal((await new ApiClient(app).get('/api/me', { cookie: value })).status, 200);
        }
      }
    });

    test("a cookie of another account is replaced too: signing in never keeps someone else's session", async () => {
      const planted = new ApiClient(app);
      await planted.register(uniqueEmail('attacker'));
      const victimEmail = uniqueEmail('victim');
      await new ApiClient(app).register(victimEmail);

      const browser = new ApiClient(app);
      browser.cookie = planted.cookie;
      await browser.login(victimEmail);
      assert.notEqual(browser.cookie, planted.cookie);
      const me = (await browser.get('/api/me')).body as { user: { email: string } };
      assert.equal(me.user.email, victimEmail);
      assertError(await planted.get('/api/me'), 401, 'unauthenticated');
    });
  });

  describe('POST /api/auth/logout', () => {
    test('204, the cookie is cleared and the session is deleted on the server', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      const token = client.cookie!;
      const sessionId = ((await client.get('/api/me')).body as { session: { id: string } }).session.id;

      const response = await client.post('/api/auth/logout');
      assert.equal(response.status, 204);
      assert.equal(response.text, '');
      assert.equal(response.cookie, '', 'cleared');
      const line = response.headers.getSetCookie().find((value) => value.startsWith(`${COOKIE}=`))!;
      assert.match(line, /Max-Age=0/i);

      // Deleted server-side: replaying the old cookie does not work, and the row is gone.
      assertError(await client.get('/api/me', { cookie: token }), 401, 'unauthenticated');
      const row = app.services.db!.prepare('SELECT id FROM cloakroom_sessions WHERE id = ?').get(sessionId);
      assert.equal(row, undefined);
    });

    test('401 unauthenticated without a session', async () => {
      assertError(await new ApiClient(app).post('/api/auth/logout'), 401, 'unauthenticated');
    });

    test('a JSON body is accepted, anything else is 415', async () => {
      const client = new ApiClient(app);
      await client.register(uniqueEmail());
      const refused = await client.post('/api/auth/logout', undefined, {
        body: 'bye',
        headers: { 'content-type': 'text/plain' },
      });
      assertError(refused, 415, 'unsupported_media_type');
      assert.equal((await client.get('/api/me')).status, 200, 'still signed in');
      assert.equal((await client.post('/api/auth/logout', {})).status, 204);
    });
  });

  describe('POST /api/auth/password', () => {
    test('200 {user}: the current session is rotated, the other sessions are revoked, the new password works', async () => {
      const email = uniqueEmail();
      const current = new ApiClient(app);
      const user = await current.register(email);
      const other = new ApiClient(app);
      await other.login(email);
      const before = current.cookie!;
      const sessionBefore = ((await current.get('/api/me')).body as { session: { id: string } }).session.id;

      const response = await current.post('/api/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'a brand new passphrase',
      });
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { user });
      assert.ok(response.cookie, 'a new cookie for the rotated session');
      assert.notEqual(response.cookie, before);

      const me = await current.get('/api/me');
      assert.equal(me.status, 200);
      assert.notEqual((me.body as { session: { id: string } }).session.id, sessionBefore, 'new session id');
      assertError(await current.get('/api/me', { cookie: before }), 401, 'unauthenticated');
      assertError(await other.get('/api/me'), 401, 'unauthenticated');
      const listed = (await current.get('/api/sessions')).body as { sessions: unknown[] };
      assert.equal(listed.sessions.length, 1);

      assertError(
        await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }),
        401,
        'invalid_credentials',
      );
      await new ApiClient(app).login(email, 'a brand new passphrase');
    });

    test('401 invalid_credentials for a wrong current password; nothing changes', async () => {
      const email = uniqueEmail();
      const client = new ApiClient(app);
      await client.register(email);
      const other = new ApiClient(app);
      await other.login(email);
      const response = await client.post('/api/auth/password', {
        currentPassword: 'not the password',
        newPassword: 'a brand new passphrase',
      });
      assertError(response, 401, 'invalid_credentials');
      assert.equal((await client.get('/api/me')).status, 200);
      assert.equal((await other.get('/api/me')).status, 200);
      await new ApiClient(app).login(email);
    });

    test('400 weak_password for a weak new password; 400 invalid_request for missing or mistyped fields', async () => {
      const email = uniqueEmail();
      const client = new ApiClient(app);
      await client.register(email);
      for (const newPassword of ['short', 'password1', 'z'.repeat(129), email]) {
        assertError(
          await client.post('/api/auth/password', { currentPassword: PASSWORD, newPassword }),
          400,
          'weak_password',
        );
      }
      for (const body of [
        {},
        { currentPassword: PASSWORD },
        { newPassword: 'a brand new passphrase' },
        { currentPassword: 1, newPassword: 'a brand new passphrase' },
        { currentPassword: PASSWORD, newPassword: null },
        { currentPassword: PASSWORD, newPassword: 'a brand new passphrase', extra: true },
      ]) {
        assertError(await client.post('/api/auth/password', body), 400, 'invalid_request');
      }
      await new ApiClient(app).login(email);
    });

    test('401 unauthenticated without a session', async () => {
      const response = await new ApiClient(app).post('/api/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'a brand new passphrase',
      });
      assertError(response, 401, 'unauthenticated');
    });
  });

  test('after all of the above, the log holds no session token and no password', () => {
    const text = logged.text();
    assert.match(text, /"path":"\/api\/auth\/login"/, 'requests were logged');
    // A token is `<id>.<secret>.<mac>` in base64url; request ids are UUIDs, without dots.
    assert.doesNotMatch(text, /[A-Za-z0-9_-]{12,}\.[A-Za-z0-9_-]{16,}/);
    for (const password of [
      PASSWORD,
      'a brand new passphrase',
      'not the password',
      'another good passphrase',
    ]) {
      assert.ok(!text.includes(password), password);
    }
    assert.ok(!/cookie/i.test(text), 'no cookie header either');
  });
});
