// `session.reauthenticated` through HTTP: `POST /api/auth/reauth` with the password emits it with the
// method and the rotated session (never the password); a wrong password does not. The event is in the
// user's recent activity (API and page) and counted on /metrics by type.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { SecurityEvent } from 'cloakroom/events';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, captureLog, uniqueEmail } from '../api/client.js';
import { assertNoSecrets, eventsOf, recordEvents } from './support.js';

const PASSWORD = 'correct horse battery';

describe('session.reauthenticated over HTTP', () => {
  let app: TestApp;
  let events: SecurityEvent[];
  const logged = captureLog();

  before(async () => {
    app = await startTestApp({ log: logged.log, env: { CLOAKROOM_METRICS: 'on' } });
    events = recordEvents(app);
  });
  after(async () => {
    await app.stop();
  });

  test('POST /api/auth/reauth: one event with the method, the new and the previous session; none for a wrong password', async () => {
    const client = new ApiClient(app);
    const user = await client.register(uniqueEmail('reauth'), PASSWORD);
    const before = ((await client.get('/api/me')).body as { session: { id: string } }).session.id;
    const oldCookie = client.cookie;
    events.length = 0;

    const wrong = await client.post('/api/auth/reauth', { password: 'not the password at all' });
    assertError(wrong, 401, 'invalid_credentials');
    assert.equal(
      events.filter((event) => event.type === 'session.reauthenticated').length,
      0,
      'no event for a wrong password',
    );

    const response = await client.post(
      '/api/auth/reauth',
      { password: PASSWORD },
      { headers: { 'user-agent': 'reauth-test' } },
    );
    assert.equal(response.status, 200, response.text);
    const after = (response.body as { session: { id: string } }).session.id;
    assert.notEqual(after, before, 'the session was rotated');

    const [event, ...more] = eventsOf(events, 'session.reauthenticated');
    assert.equal(more.length, 0);
    assert.deepEqual(
      { ...event, at: typeof event?.at },
      {
        type: 'session.reauthenticated',
        at: 'number',
        userId: user.id,
        sessionId: after,
        previousSessionId: before,
        method: 'password',
        amr: ['pwd'],
        ip: '127.0.0.1',
        userAgent: 'reauth-test',
      },
    );
    await app.services.activity.log.idle();
    assertNoSecrets(JSON.stringify(events) + logged.text(), [PASSWORD, oldCookie, client.cookie]);
  });

  test('in the recent activity (API and page) and on /metrics', async () => {
    const client = new ApiClient(app);
    await client.register(uniqueEmail('reauth'), PASSWORD);
    assert.equal((await client.post('/api/auth/reauth', { password: PASSWORD })).status, 200);
    await app.services.activity.log.idle();

    const activity = (await client.get('/api/activity')).body as {
      events: { type: string; sessionId?: string }[];
    };
    assert.equal(activity.events[0]?.type, 'session.reauthenticated');
    const me = (await client.get('/api/me')).body as { session: { id: string } };
    assert.equal(activity.events[0]?.sessionId, me.session.id);
    assert.deepEqual(Object.keys(activity.events[0] ?? {}).sort(), [
      'at',
      'ip',
      'sessionId',
      'type',
      'userAgent',
    ]);

    const page = await client.get('/activity');
    assert.match(page.text, /Identity confirmed \(with your password\)/);

    const metrics = await client.request('GET', '/metrics', { cookie: null, origin: false });
    assert.equal(metrics.status, 200);
    const line = metrics.text
      .split('\n')
      .find((l) => l.startsWith('cloakroom_security_events_total{type="session.reauthenticated"}'));
    assert.ok(line !== undefined, 'counted by type');
    assert.ok(Number(line.split(' ').at(-1)) >= 2, line);
  });
});
