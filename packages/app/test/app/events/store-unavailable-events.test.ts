// `store.unavailable` on every path that reaches a store and answers 503 because it failed, not only at
// session validation and password sign-in: sign-out (API and page), sign-out everywhere, re-authentication,
// password change, registration and the OAuth token endpoint. The store fails for real: a SQLite trigger
// makes one kind of write on one table abort, after the session was validated. Each failing request gives
// exactly one event (the library's own events at validation and sign-in are not doubled), naming the route,
// the user when the session was loaded, and nothing secret.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generateSync } from 'otplib';
import type { SecurityEvent, StoreUnavailableEvent } from 'cloakroom/events';
import { ManualClock, SECOND } from '../../../../cloakroom/test/helpers/clock.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, uniqueEmail } from '../api/client.js';
import { mint, oauthPost } from '../tokens/support.js';
import { assertNoSecrets, recordEvents } from './support.js';

const PASSWORD = 'correct horse battery';
const UA = { headers: { 'user-agent': 'outage-test' } };

/** Makes every `action` on `table` fail (a trigger that aborts), until the returned function is called. */
function failOn(app: TestApp, table: string, action: 'INSERT' | 'UPDATE' | 'DELETE'): () => void {
  const db = app.services.db!;
  const name = `test_fail_${table}_${action.toLowerCase()}`;
  db.exec(`CREATE TRIGGER ${name} BEFORE ${action} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected'); END`);
  return () => {
    db.exec(`DROP TRIGGER ${name}`);
  };
}

const outages = (events: readonly SecurityEvent[]) =>
  events.filter((event): event is StoreUnavailableEvent => event.type === 'store.unavailable');

describe('store.unavailable on every path that answers 503', () => {
  let app: TestApp;
  let events: SecurityEvent[];
  const logged = captureLog();
  const secrets: string[] = [PASSWORD];

  before(async () => {
    app = await startTestApp({ log: logged.log });
    events = recordEvents(app);
  });
  after(async () => {
    await app.stop();
  });

  /** A signed-in browser; its cookie is one of the secrets no event may carry. */
  async function browser(): Promise<{ client: ApiClient; user: { id: string; email: string } }> {
    const client = new ApiClient(app);
    const user = await client.register(uniqueEmail('outage'), PASSWORD);
    secrets.push(client.cookie!);
    return { client, user };
  }

  /** Runs `request` with `table`'s `action` failing; asserts one event for `operation` and returns it. */
  async function outage(
    table: string,
    action: 'INSERT' | 'UPDATE' | 'DELETE',
    operation: string,
    request: () => Promise<void>,
  ): Promise<StoreUnavailableEvent> {
    const restore = failOn(app, table, action);
    events.length = 0;
    try {
      await request();
    } finally {
      restore();
    }
    const found = outages(events);
    assert.equal(found.length, 1, `one store.unavailable event: ${JSON.stringify(found)}`);
    const [event] = found as [StoreUnavailableEvent];
    assert.equal(event.operation, operation);
    assert.equal(event.userAgent, 'outage-test');
    assert.equal(event.ip, '127.0.0.1');
    assert.equal(typeof event.at, 'number');
    return event;
  }

  test('sign-out: 503, and the event names the route, the user and the session', async () => {
    const { client, user } = await browser();
    const me = (await client.get('/api/me')).body as { session: { id: string } };
    const event = await outage('cloakroom_sessions', 'DELETE', 'POST /api/auth/logout', async () => {
      assertError(await client.post('/api/auth/logout', undefined, UA), 503, 'store_unavailable');
    });
    assert.equal(event.userId, user.id);
    assert.equal(event.sessionId, me.session.id);
    // The session is still there, and the client may try again.
    assert.equal((await client.get('/api/me')).status, 200);
  });

  test('sign-out everywhere, re-authentication and password change: 503 with one event each', async () => {
    const { client, user } = await browser();
    const everywhere = await outage('cloakroom_sessions', 'DELETE', 'DELETE /api/sessions', async () => {
      assertError(await client.delete('/api/sessions', UA), 503, 'store_unavailable');
    });
    assert.equal(everywhere.userId, user.id);

    const reauth = await outage('cloakroom_sessions', 'DELETE', 'POST /api/auth/reauth', async () => {
      const response = await client.post('/api/auth/reauth', { password: PASSWORD }, UA);
      assertError(response, 503, 'store_unavailable');
    });
    assert.equal(reauth.userId, user.id);

    const changed = await outage('users', 'UPDATE', 'POST /api/auth/password', async () => {
      const response = await client.post(
        '/api/auth/password',
        { currentPassword: PASSWORD, newPassword: 'another long passphrase' },
        UA,
      );
      assertError(response, 503, 'store_unavailable');
    });
    assert.equal(changed.userId, user.id);
  });

  test('registration: 503, an event without a user', async () => {
    const event = await outage('users', 'INSERT', 'POST /api/auth/register', async () => {
      const response = await new ApiClient(app).post(
        '/api/auth/register',
        { email: uniqueEmail('outage'), password: PASSWORD },
        UA,
      );
      assertError(response, 503, 'store_unavailable');
    });
    assert.equal(event.userId, undefined);
    assert.equal(event.sessionId, undefined);
  });

  test('the OAuth token endpoint (refresh): 503 temporarily_unavailable, with its event', async () => {
    const { client } = await browser();
    const tokens = await mint(client);
    secrets.push(tokens.refresh_token, tokens.access_token);
    await outage('cloakroom_refresh_tokens', 'UPDATE', 'POST /oauth/token', async () => {
      const response = await oauthPost(
        app,
        '/oauth/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
        { headers: { 'user-agent': 'outage-test' } },
      );
      assert.equal(response.status, 503, response.text);
      assert.equal(response.body.error, 'temporarily_unavailable');
    });
  });

  test('a page form (sign-out): the 503 page, with its event', async () => {
    const { client, user } = await browser();
    const event = await outage('cloakroom_sessions', 'DELETE', 'POST /sign-out', async () => {
      const response = await client.post('/sign-out', undefined, {
        body: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'outage-test' },
      });
      assert.equal(response.status, 503, response.text);
    });
    assert.equal(event.userId, user.id);
  });

  test('no event carries a secret, and the log has each outage', async () => {
    await app.services.activity.log.idle();
    assertNoSecrets(JSON.stringify(events) + logged.text(), secrets);
    assert.match(logged.text(), /"operation":"POST \/api\/auth\/logout"/);
  });
});

describe('store.unavailable at the second sign-in step', () => {
  test('POST /api/auth/login/mfa when the pending step cannot be consumed: 503 and its event, no sign-in', async () => {
    const clock = new ManualClock(Date.now());
    const app = await startTestApp({ clock });
    try {
      const events = recordEvents(app);
      const codeFor = (secret: string) => generateSync({ secret, epoch: Math.floor(clock.now() / 1000) });
      const owner = new ApiClient(app);
      const email = uniqueEmail('outage-mfa');
      await owner.register(email, PASSWORD);
      const { secret } = (await owner.post('/api/auth/mfa/totp/setup')).body as { secret: string };
      assert.equal((await owner.post('/api/auth/mfa/totp/enable', { code: codeFor(secret) })).status, 200);
      clock.advance(30 * SECOND);

      const browser = new ApiClient(app);
      const first = await browser.post('/api/auth/login', { email, password: PASSWORD });
      assert.equal(first.status, 200, first.text);
      const pending = first.headers
        .getSetCookie()
        .map((line) => line.split(';', 1)[0] ?? '')
        .find((pair) => pair.startsWith('cloakroom-mfa='));
      assert.ok(pending !== undefined);

      const restore = failOn(app, 'cloakroom_mfa_pending', 'DELETE');
      events.length = 0;
      const step = await browser.post(
        '/api/auth/login/mfa',
        { code: codeFor(secret) },
        { headers: { cookie: pending, 'user-agent': 'outage-test' } },
      );
      restore();
      assertError(step, 503, 'store_unavailable');
      assert.deepEqual(
        outages(events).map((event) => [event.operation, event.userAgent]),
        [['POST /api/auth/login/mfa', 'outage-test']],
      );
      assert.equal(
        events.filter((event) => event.type === 'sign_in.succeeded' || event.type === 'sign_in.failed')
          .length,
        0,
        'neither signed in nor counted as a wrong code',
      );
    } finally {
      await app.stop();
    }
  });
});

describe('store.unavailable is not doubled where the library reports it', () => {
  test('validation and password sign-in with the database gone: one event each, as the library names it', async () => {
    const app = await startTestApp();
    try {
      const events = recordEvents(app);
      const client = new ApiClient(app);
      const email = uniqueEmail('outage');
      await client.register(email, PASSWORD);
      await app.services.activity.log.idle();
      app.services.db!.close();
      events.length = 0;
      assertError(await client.get('/api/me', UA), 503, 'store_unavailable');
      assert.deepEqual(
        outages(events).map((event) => event.operation),
        ['validate'],
      );
      events.length = 0;
      const login = await new ApiClient(app).post('/api/auth/login', { email, password: PASSWORD }, UA);
      assertError(login, 503, 'store_unavailable');
      assert.deepEqual(
        outages(events).map((event) => event.operation),
        ['sign_in'],
      );
    } finally {
      await app.stop().catch(() => {});
    }
  });
});
