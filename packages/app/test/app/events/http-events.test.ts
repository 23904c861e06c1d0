// Each security event the site emits, triggered through its HTTP API and read from the site's event stream
// (cloakroom/events): who, where, and never a password, cookie value, token or client secret, in the events
// or in the site's log.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SecurityEvent } from 'cloakroom/events';
import type { ThrottleRule } from '../../../../cloakroom/src/accounts/throttle.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, uniqueEmail } from '../api/client.js';
import { addClient, mint, oauthPost } from '../tokens/support.js';
import { assertNoSecrets, eventsOf, recordEvents } from './support.js';

const PASSWORD = 'correct horse battery';
const WRONG = 'not the password at all';
const NEW_PASSWORD = 'a brand new passphrase';
const UA = 'events-test/1.0';
const REPORTS = 'https://reports.example';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS = 'urn:ietf:params:oauth:token-type:access_token';
/** One free failure per account, then a wait: the second wrong attempt is throttled at once. */
const ACCOUNT: ThrottleRule = { limit: 50, windowSeconds: 3600, freeFailures: 1, maxDelaySeconds: 60 };
const LOOSE: ThrottleRule = { limit: 10_000, windowSeconds: 3600, freeFailures: 10_000, maxDelaySeconds: 1 };

describe('security events over HTTP', () => {
  let app: TestApp;
  let events: SecurityEvent[];
  const logged = captureLog();
  /** Every password, cookie value, token and client secret the tests used. */
  const secrets: (string | null | undefined)[] = [PASSWORD, WRONG, NEW_PASSWORD];

  before(async () => {
    app = await startTestApp({
      log: logged.log,
      throttle: { account: ACCOUNT, address: LOOSE, registration: LOOSE },
      env: {
        CLOAKROOM_TOKEN_AUDIENCES: REPORTS,
        CLOAKROOM_TOKEN_SCOPES: 'reports:read notes:read notes:write',
      },
    });
    events = recordEvents(app);
  });
  after(async () => {
    await app.services.activity.log.idle();
    // The closing check of the whole file: nothing secret was emitted or logged by any test above.
    assertNoSecrets(JSON.stringify(events) + logged.text(), secrets);
    await app.stop();
  });

  /** A browser with a fixed User-Agent, registered and signed in. */
  async function browser(email = uniqueEmail('events')) {
    const client = new ApiClient(app);
    const response = await client.post(
      '/api/auth/register',
      { email, password: PASSWORD },
      { headers: { 'user-agent': UA } },
    );
    assert.equal(response.status, 201, response.text);
    secrets.push(client.cookie);
    const user = (response.body as { user: { id: string } }).user;
    return { client, email, userId: user.id };
  }

  const ua = { headers: { 'user-agent': UA } };

  test('sign_in.succeeded: registration and password sign-in, with the method, amr, session, address and agent', async () => {
    events.length = 0;
    const { client, email, userId } = await browser();
    const registered = eventsOf(events, 'sign_in.succeeded')[0]!;
    assert.equal(registered.method, 'registration');
    assert.equal(registered.userId, userId);
    const me = await client.get('/api/me');
    assert.equal((me.body as { session: { id: string } }).session.id, registered.sessionId);

    events.length = 0;
    const other = new ApiClient(app);
    assert.equal((await other.post('/api/auth/login', { email, password: PASSWORD }, ua)).status, 200);
    secrets.push(other.cookie);
    const [signedIn] = eventsOf(events, 'sign_in.succeeded');
    assert.equal(signedIn?.method, 'password');
    assert.deepEqual(signedIn.amr, ['pwd']);
    assert.equal(signedIn.userId, userId);
    assert.match(signedIn.ip ?? '', /127\.0\.0\.1/);
    assert.equal(signedIn.userAgent, UA);
    assert.equal(typeof signedIn.at, 'number');
    // The site logs each event through pino, as structured fields.
    assert.match(logged.text(), /"msg":"security event"/);
    assert.match(logged.text(), /"type":"sign_in.succeeded"/);
  });

  test('sign_in.failed with the reason, and sign_in.throttled with the wait', async () => {
    const { email, userId } = await browser();
    events.length = 0;
    const stranger = new ApiClient(app);
    assertError(
      await stranger.post('/api/auth/login', { email, password: WRONG }, ua),
      401,
      'invalid_credentials',
    );
    assertError(
      await stranger.post('/api/auth/login', { email: uniqueEmail('nobody'), password: PASSWORD }, ua),
      401,
      'invalid_credentials',
    );
    const failed = eventsOf(events, 'sign_in.failed');
    assert.deepEqual(
      failed.map((event) => [event.reason, event.userId]),
      [
        ['wrong_password', userId],
        ['unknown_account', undefined],
      ],
    );
    assert.equal(failed[0]?.userAgent, UA);

    events.length = 0;
    assertError(await stranger.post('/api/auth/login', { email, password: WRONG }), 429, 'too_many_attempts');
    const [throttled] = eventsOf(events, 'sign_in.throttled');
    assert.equal(throttled?.action, 'sign_in');
    assert.ok(throttled.retryAfterSeconds >= 1);
  });

  test('session.signed_out, session.revoked (by the user) and session.signed_out_everywhere', async () => {
    const { client, email, userId } = await browser();
    const second = new ApiClient(app);
    await second.login(email, PASSWORD);
    secrets.push(second.cookie);
    const secondId = ((await second.get('/api/me')).body as { session: { id: string } }).session.id;

    events.length = 0;
    assert.equal((await client.delete(`/api/sessions/${secondId}`, ua)).status, 204);
    const [revoked] = eventsOf(events, 'session.revoked');
    assert.deepEqual(
      [revoked?.by, revoked?.sessionId, revoked?.userId, revoked?.count],
      ['user', secondId, userId, 1],
    );
    assert.equal(revoked?.userAgent, UA);

    const third = new ApiClient(app);
    await third.login(email, PASSWORD);
    secrets.push(third.cookie);
    events.length = 0;
    assert.equal((await third.post('/api/auth/logout', undefined, ua)).status, 204);
    const [signedOut] = eventsOf(events, 'session.signed_out');
    assert.equal(signedOut?.userId, userId);

    events.length = 0;
    assert.equal((await client.delete('/api/sessions', ua)).status, 204);
    const [everywhere] = eventsOf(events, 'session.signed_out_everywhere');
    assert.equal(everywhere?.userId, userId);
    assert.equal(everywhere.count, 1);
  });

  test('password.changed: the other sessions end with it', async () => {
    const { client, email, userId } = await browser();
    const second = new ApiClient(app);
    await second.login(email, PASSWORD);
    secrets.push(second.cookie);
    events.length = 0;
    const response = await client.post(
      '/api/auth/password',
      { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      ua,
    );
    assert.equal(response.status, 200, response.text);
    secrets.push(client.cookie);
    const [changed] = eventsOf(events, 'password.changed');
    assert.deepEqual([changed?.userId, changed?.via, changed?.sessionsEnded], [userId, 'change', 1]);
    const me = await client.get('/api/me');
    assert.equal(
      (me.body as { session: { id: string } }).session.id,
      changed?.sessionId,
      'the rotated session',
    );
  });

  test('refresh.reuse_detected: a spent refresh token comes back and its family is revoked', async () => {
    const { client, userId } = await browser();
    const tokens = await mint(client);
    secrets.push(tokens.access_token, tokens.refresh_token);
    const first = await oauthPost(app, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: tokens.refresh_token,
    });
    assert.equal(first.status, 200, first.text);
    secrets.push(first.body.access_token as string, first.body.refresh_token as string);
    events.length = 0;
    const again = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      ua,
    );
    assert.equal(again.status, 400, again.text);
    const [reuse] = eventsOf(events, 'refresh.reuse_detected');
    assert.equal(reuse?.userId, userId);
    assert.equal(reuse.familyRevoked, true);
    assert.equal(reuse.clientId, 'session');
    assert.equal(reuse.userAgent, UA);
  });

  test('client_credentials.issued and token.exchanged', async () => {
    const service = await addClient(app, ['notes:read'], [`${app.origin}/api`], [REPORTS]);
    secrets.push(service.secret);
    events.length = 0;
    const issued = await oauthPost(
      app,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      { basic: service },
    );
    assert.equal(issued.status, 200, issued.text);
    secrets.push(issued.body.access_token as string);
    const [credentials] = eventsOf(events, 'client_credentials.issued');
    assert.deepEqual(
      [credentials?.clientId, credentials?.audience, credentials?.scope],
      [service.id, `${app.origin}/api`, 'notes:read'],
    );

    const { client, userId } = await browser();
    const subject = await mint(client, { audience: REPORTS, scope: 'reports:read notes:read' });
    secrets.push(subject.access_token, subject.refresh_token);
    events.length = 0;
    const exchanged = await oauthPost(
      app,
      '/oauth/token',
      {
        grant_type: EXCHANGE,
        subject_token: subject.access_token,
        subject_token_type: ACCESS,
        scope: 'notes:read',
      },
      { basic: service },
    );
    assert.equal(exchanged.status, 200, exchanged.text);
    secrets.push(exchanged.body.access_token as string);
    const [exchange] = eventsOf(events, 'token.exchanged');
    assert.deepEqual(
      [exchange?.userId, exchange?.clientId, exchange?.scope],
      [userId, service.id, 'notes:read'],
    );
  });

  test('csrf.rejected: a cross-site post with the session cookie, and a cross-site sign-in', async () => {
    const { client, email } = await browser();
    events.length = 0;
    assertError(
      await client.post('/api/auth/logout', undefined, {
        origin: 'https://evil.example',
        headers: { 'sec-fetch-site': 'cross-site' },
      }),
      403,
      'csrf_rejected',
    );
    assertError(
      await new ApiClient(app).post(
        '/api/auth/login',
        { email, password: PASSWORD },
        { origin: 'https://evil.example', headers: { 'sec-fetch-site': 'cross-site' } },
      ),
      403,
      'csrf_rejected',
    );
    assert.deepEqual(
      eventsOf(events, 'csrf.rejected').map((event) => [event.check, event.method]),
      [
        ['session', 'POST'],
        ['login', 'POST'],
      ],
    );
  });

  test('a throwing event listener changes no answer', async () => {
    const stop = app.services.events.subscribe(() => {
      throw new Error('listener down');
    });
    try {
      const { client, email } = await browser();
      await new ApiClient(app).login(email, PASSWORD);
      assert.equal((await client.post('/api/auth/logout')).status, 204);
    } finally {
      stop();
    }
  });
});

describe('security events over HTTP: the store fails', () => {
  test('store.unavailable: the request is 503 and the event says what failed', async () => {
    const logged = captureLog();
    const app = await startTestApp({ log: logged.log });
    try {
      const events = recordEvents(app);
      const client = new ApiClient(app);
      await client.register(uniqueEmail('outage'));
      const cookie = client.cookie;
      await app.services.activity.log.idle();
      app.services.db!.close();
      events.length = 0;
      assertError(await client.get('/api/me', ua()), 503, 'store_unavailable');
      const [outage] = eventsOf(events, 'store.unavailable');
      assert.equal(outage?.operation, 'validate');
      assert.equal(outage.userAgent, 'outage-test');
      assert.match(logged.text(), /"type":"store.unavailable"/);
      // Nothing secret is logged about the outage either.
      assertNoSecrets(JSON.stringify(events) + logged.text(), [cookie, PASSWORD]);
    } finally {
      await app.stop().catch(() => {});
    }
  });
});

function ua() {
  return { headers: { 'user-agent': 'outage-test' } };
}
