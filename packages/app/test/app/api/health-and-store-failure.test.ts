// /healthz, and what the site answers when its SQLite database fails under it: 503 store_unavailable,
// never a 500, never "signed in", never a silent sign-out; the process keeps serving, and the log says why
// without a cookie or a password in it.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, assertNoStackTrace, captureLog, uniqueEmail } from './client.js';

const PASSWORD = 'correct horse battery';

describe('health check and store failure', () => {
  let running: TestApp | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  test('GET /healthz: 200 {ok:true} when the store answers', async () => {
    const app = (running = await startTestApp());
    const response = await fetch(`${app.url}/healthz`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  test('a closed database: 503 store_unavailable for /api/me with a cookie, login, register and /healthz; the process keeps serving', async () => {
    const logged = captureLog();
    const app = (running = await startTestApp({ log: logged.log }));
    const email = uniqueEmail();
    const client = new ApiClient(app);
    await client.register(email);
    const cookie = client.cookie!;

    app.services.db!.close();

    for (let round = 0; round < 2; round++) {
      const health = await fetch(`${app.url}/healthz`);
      assert.equal(health.status, 503);
      const healthBody = (await health.json()) as { ok: boolean; error: { code: string } };
      assert.equal(healthBody.ok, false);
      assert.equal(healthBody.error.code, 'store_unavailable');

      const me = await client.get('/api/me');
      assertError(me, 503, 'store_unavailable');
      assert.equal(me.cookie, undefined, 'never a silent sign-out: the cookie is kept');

      for (const response of [
        await client.get('/api/sessions'),
        await client.get('/api/notes'),
        await client.get('/api/notes/some-id'),
        await client.post('/api/notes', { title: 'lost?' }),
        await client.patch('/api/notes/some-id', { title: 'lost?' }),
        await client.delete('/api/notes/some-id'),
        await client.post('/api/auth/password', {
          currentPassword: PASSWORD,
          newPassword: 'a new passphrase!',
        }),
        await client.post('/api/auth/logout'),
        await client.delete('/api/sessions/some-id'),
        await client.delete('/api/sessions'),
      ]) {
        assertError(response, 503, 'store_unavailable');
        assert.equal(response.cookie, undefined);
      }

      const login = await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD });
      assertError(login, 503, 'store_unavailable');
      assert.equal(login.cookie, undefined, 'never signed in');
      const wrong = await new ApiClient(app).post('/api/auth/login', { email, password: 'wrong password!' });
      assertError(wrong, 503, 'store_unavailable');
      const register = await new ApiClient(app).post('/api/auth/register', {
        email: uniqueEmail(),
        password: PASSWORD,
      });
      assertError(register, 503, 'store_unavailable');
      assert.equal(register.cookie, undefined);
    }
    assert.equal(client.cookie, cookie, 'the client still holds its session cookie');

    // Errors that need no store are still answered as usual.
    assertError(await new ApiClient(app).get('/api/nope'), 404, 'not_found');
    assertError(await new ApiClient(app).get('/api/me'), 401, 'unauthenticated');
    assertError(
      await new ApiClient(app).post('/api/auth/login', undefined, {
        body: '{',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_request',
    );

    const log = logged.text();
    assert.match(log, /store/i, 'the failure is logged');
    assert.ok(!log.includes('"status":500'));
    assert.ok(!log.includes(cookie), 'no cookie value in the log');
    assert.ok(!log.includes(cookie.split('.')[1]!), 'no session secret in the log');
    assert.ok(!log.includes(PASSWORD), 'no password in the log');
  });

  test('every 503 is logged with its cause, for the operator (the client gets only the generic message)', async () => {
    const logged = captureLog();
    const app = (running = await startTestApp({ log: logged.log }));
    const email = uniqueEmail();
    await new ApiClient(app).register(email);
    app.services.db!.close();

    const login = await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD });
    assertError(login, 503, 'store_unavailable');
    assert.ok(!/not open|sqlite/i.test(login.text), 'the cause stays on the server');

    const errors = logged
      .text()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { level: number; msg: string; err?: unknown })
      .filter((entry) => entry.level >= 50);
    assert.ok(errors.length >= 1, 'an error line for the failed sign-in');
    assert.match(JSON.stringify(errors), /store/i);
    assert.ok(!JSON.stringify(errors).includes(PASSWORD));
  });

  test('a read-only database: reads work, every write answers 503 store_unavailable, nothing half-done', async () => {
    const app = (running = await startTestApp());
    const email = uniqueEmail();
    const client = new ApiClient(app);
    await client.register(email);
    const note = (await client.post('/api/notes', { title: 'before' })).body as { note: { id: string } };

    app.services.db!.pragma('query_only = ON');

    assert.equal((await fetch(`${app.url}/healthz`)).status, 200, 'the store still answers');
    assert.equal((await client.get('/api/me')).status, 200);
    assert.equal((await client.get('/api/notes')).status, 200);
    for (const response of [
      await client.post('/api/notes', { title: 'new' }),
      await client.patch(`/api/notes/${note.note.id}`, { title: 'changed' }),
      await client.delete(`/api/notes/${note.note.id}`),
      await client.post('/api/auth/password', {
        currentPassword: PASSWORD,
        newPassword: 'a new passphrase!',
      }),
      await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }),
      await new ApiClient(app).post('/api/auth/login', { email, password: 'wrong password!' }),
      await new ApiClient(app).post('/api/auth/register', { email: uniqueEmail(), password: PASSWORD }),
    ]) {
      assertError(response, 503, 'store_unavailable');
      assertNoStackTrace(response.text);
    }

    app.services.db!.pragma('query_only = OFF');
    const notes = (await client.get('/api/notes')).body as { notes: { title: string }[] };
    assert.deepEqual(
      notes.notes.map((n) => n.title),
      ['before'],
    );
    await new ApiClient(app).login(email, PASSWORD);
  });
});
