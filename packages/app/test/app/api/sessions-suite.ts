// GET /api/me, GET /api/sessions, DELETE /api/sessions/:id and DELETE /api/sessions over real HTTP, run on the
// default store (me-and-sessions.test.ts) and on others (CLOAKROOM_STORE=dynamodb://…: sessions-dynamodb.test.ts).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { HOUR, ManualClock } from '../../../../cloakroom/test/helpers/clock.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

interface ListedSession {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  userAgent: string | null;
  ip: string | null;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Registers the sessions API tests on a site started with `env()` (its session store's settings); `env` runs
 * in the suite's `before`, so it may start what the store needs.
 */
export function runSessionsApiSuite(
  name: string,
  env: () => Promise<Record<string, string>> = () => Promise.resolve({}),
): void {
  describe(name, () => {
    let app: TestApp;
    const clock = new ManualClock();
    before(async () => {
      app = await startTestApp({ clock, env: await env() });
    });
    after(async () => {
      await app.stop();
    });

    const listOf = async (client: ApiClient) => {
      const response = await client.get('/api/sessions');
      assert.equal(response.status, 200, response.text);
      return (response.body as { sessions: ListedSession[] }).sessions;
    };

    describe('GET /api/me', () => {
      test('200 {user:{id,email,emailVerified}, session:{id, createdAt, expiresAt, authTime, amr}}', async () => {
        const client = new ApiClient(app);
        const email = uniqueEmail();
        const user = await client.register(email);
        const response = await client.get('/api/me');
        assert.equal(response.status, 200);
        const body = response.body as {
          user: unknown;
          session: { id: string; createdAt: string; expiresAt: string; authTime: string; amr: string[] };
        };
        assert.deepEqual(Object.keys(body).sort(), ['session', 'user']);
        assert.deepEqual(body.user, { ...user, emailVerified: false, identities: [] }); // no linked OpenID provider
        assert.deepEqual(Object.keys(body.session).sort(), [
          'amr',
          'authTime',
          'createdAt',
          'expiresAt',
          'id',
        ]);
        // How the session was made: registration is a password sign-in, just now.
        assert.equal(body.session.authTime, body.session.createdAt);
        assert.deepEqual(body.session.amr, ['pwd']);
        assert.match(body.session.createdAt, ISO);
        assert.match(body.session.expiresAt, ISO);
        assert.equal(body.session.createdAt, new Date(clock.now()).toISOString());
        assert.ok(Date.parse(body.session.expiresAt) > clock.now());
        // The public id, never the token (nor its secret part).
        assert.notEqual(body.session.id, client.cookie);
        assert.ok(!body.session.id.includes('.'));
        assert.ok(!response.text.includes(client.cookie!.split('.')[1]!), 'the secret never appears');
        assert.equal(response.headers.get('cache-control'), 'no-store');
      });

      test('401 unauthenticated without a cookie, with a forged or garbage cookie, and after expiry', async () => {
        const client = new ApiClient(app);
        assertError(await client.get('/api/me'), 401, 'unauthenticated');
        for (const cookie of ['garbage', 'a.b.c', '%00%ff', 'x'.repeat(5000), '']) {
          const response = await client.get('/api/me', { cookie });
          assertError(response, 401, 'unauthenticated');
        }
        const expiring = new ApiClient(app);
        await expiring.register(uniqueEmail());
        clock.advance(31 * 24 * HOUR); // past the 30-day absolute lifetime
        const response = await expiring.get('/api/me');
        assertError(response, 401, 'unauthenticated');
        assert.equal(response.cookie, '', 'an expired cookie is cleared');
      });
    });

    describe('GET /api/sessions', () => {
      test('200 {sessions:[{id, current, createdAt, lastSeenAt, userAgent, ip}]}, public ids only, own sessions only', async () => {
        const email = uniqueEmail();
        const laptop = new ApiClient(app);
        await laptop.register(email);
        const phone = new ApiClient(app);
        await phone.post(
          '/api/auth/login',
          { email, password: 'correct horse battery' },
          {
            headers: { 'user-agent': 'Phone/1.0' },
          },
        );
        const stranger = new ApiClient(app);
        await stranger.register(uniqueEmail());

        const sessions = await listOf(laptop);
        assert.equal(sessions.length, 2);
        for (const session of sessions) {
          assert.deepEqual(Object.keys(session).sort(), [
            'createdAt',
            'current',
            'id',
            'ip',
            'lastSeenAt',
            'userAgent',
          ]);
          assert.match(session.createdAt, ISO);
          assert.match(session.lastSeenAt, ISO);
          assert.ok(!session.id.includes('.'), 'a public id, not a token');
          assert.match(session.ip ?? '', /127\.0\.0\.1/);
        }
        assert.deepEqual(
          sessions.map((session) => session.current).sort(),
          [false, true],
          'exactly one is the current one',
        );
        const phoneSession = sessions.find((session) => !session.current)!;
        assert.equal(phoneSession.userAgent, 'Phone/1.0');
        const me = (await laptop.get('/api/me')).body as { session: { id: string } };
        assert.equal(sessions.find((session) => session.current)!.id, me.session.id);

        const text = JSON.stringify(sessions);
        for (const token of [laptop.cookie!, phone.cookie!]) {
          assert.ok(!text.includes(token.split('.')[1]!), 'no secret in the list');
        }
        const strangers = await listOf(stranger);
        assert.equal(strangers.length, 1);
        assert.ok(!sessions.some((session) => session.id === strangers[0]!.id));
      });

      test('401 unauthenticated without a session', async () => {
        assertError(await new ApiClient(app).get('/api/sessions'), 401, 'unauthenticated');
      });
    });

    describe('DELETE /api/sessions/:id', () => {
      test('204 revokes another of my sessions; it is signed out at once', async () => {
        const email = uniqueEmail();
        const laptop = new ApiClient(app);
        await laptop.register(email);
        const phone = new ApiClient(app);
        await phone.login(email);
        const phoneId = (await listOf(phone)).find((session) => session.current)!.id;

        const response = await laptop.delete(`/api/sessions/${phoneId}`);
        assert.equal(response.status, 204);
        assert.equal(response.text, '');
        assert.equal(response.cookie, undefined, "the laptop's own cookie is untouched");
        assertError(await phone.get('/api/me'), 401, 'unauthenticated');
        assert.equal((await laptop.get('/api/me')).status, 200);
        assert.equal((await listOf(laptop)).length, 1);
      });

      test('204 for the current session signs this client out and clears its cookie', async () => {
        const client = new ApiClient(app);
        await client.register(uniqueEmail());
        const token = client.cookie!;
        const id = (await listOf(client))[0]!.id;
        const response = await client.delete(`/api/sessions/${id}`);
        assert.equal(response.status, 204);
        assert.equal(response.cookie, '');
        assertError(await client.get('/api/me', { cookie: token }), 401, 'unauthenticated');
      });

      test("404 not_found for another user's session (which survives) and for an unknown id", async () => {
        const owner = new ApiClient(app);
        await owner.register(uniqueEmail());
        const ownerId = (await listOf(owner))[0]!.id;
        const other = new ApiClient(app);
        await other.register(uniqueEmail());

        assertError(await other.delete(`/api/sessions/${ownerId}`), 404, 'not_found');
        assert.equal((await owner.get('/api/me')).status, 200, "the owner's session survives");
        for (const id of ['does-not-exist', 'a'.repeat(300), '%E0%A4%A', '..', '%2e%2e%2fme']) {
          assertError(await other.delete(`/api/sessions/${id}`), 404, 'not_found');
        }
        assert.equal((await other.get('/api/me')).status, 200);
      });

      test('401 unauthenticated without a session', async () => {
        assertError(await new ApiClient(app).delete('/api/sessions/anything'), 401, 'unauthenticated');
      });
    });

    describe('DELETE /api/sessions', () => {
      test('204 signs out everywhere, this session included', async () => {
        const email = uniqueEmail();
        const clients = [new ApiClient(app), new ApiClient(app), new ApiClient(app)];
        await clients[0]!.register(email);
        await clients[1]!.login(email);
        await clients[2]!.login(email);
        const bystander = new ApiClient(app);
        await bystander.register(uniqueEmail());

        const token = clients[0]!.cookie!;
        const response = await clients[0]!.delete('/api/sessions');
        assert.equal(response.status, 204);
        assert.equal(response.cookie, '', 'this cookie is cleared');
        assertError(await clients[0]!.get('/api/me', { cookie: token }), 401, 'unauthenticated');
        for (const client of clients.slice(1))
          assertError(await client.get('/api/me'), 401, 'unauthenticated');
        assert.equal((await bystander.get('/api/me')).status, 200, "another user's sessions are untouched");
      });

      test('401 unauthenticated without a session', async () => {
        assertError(await new ApiClient(app).delete('/api/sessions'), 401, 'unauthenticated');
      });
    });
  });
}
